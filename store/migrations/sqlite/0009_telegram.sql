-- Issue 11: the Telegram bot's own state. The chat id of a request is
-- stored on the request itself (contact_requests.telegram_chat_id, 0008).

-- One row per chat the bot talks to: its language and the questionnaire
-- in progress (JSON of telegram::dialog::Dialog), forgotten on /stop.
CREATE TABLE telegram_chats (
    chat_id        INTEGER PRIMARY KEY,
    language       TEXT NOT NULL DEFAULT 'en',
    -- The relative picked the language (/lang): Telegram's no longer counts.
    language_set   INTEGER NOT NULL DEFAULT 0,
    dialog         TEXT,
    -- Numbers the chat's questionnaires (idempotency keys tg:{chat}:{n}).
    dialogs        INTEGER NOT NULL DEFAULT 0,
    -- A typed answer waiting for "which request?" when several wait for one.
    pending_answer TEXT,
    updated_at     INTEGER NOT NULL
);

-- Small named values: the next getUpdates offset, so a restart neither
-- loses nor repeats updates.
CREATE TABLE telegram_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
