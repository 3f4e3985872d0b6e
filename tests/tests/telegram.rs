//! The Telegram bot against the real `findkin serve`, talking to a fake Bot
//! API on loopback: a search, a request with a photo through the
//! questionnaire, a moderator's question answered in the chat, the release
//! notice with a status link and no details, `/status` and `/stop`.

use std::time::Duration;

use findkin_tests::fake_telegram::{FakeTelegram, Person, Sent};
use findkin_tests::relative::{act, request_id};
use findkin_tests::staff::{first_login, text, Staff};
use findkin_tests::{findkin, staff_registry, stderr, Server};
use reqwest::StatusCode;

const TOKEN: &str = "test:token";

/// A record whose release details carry a place and a status that must
/// never reach the chat.
const SEED: &str = "external_id,surname,given_name,patronymic,sex,birth_date,region,status,status_date,status_place\n\
     T1,Громыхалов,Тихон,Аркадьевич,m,1988-03-04,Курская область,captured,2024-02-01,Сосновый Бор\n";

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 6) as u8, (y * 8) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).expect("jpeg");
    out.into_inner()
}

/// The reference (`FK-XXXX-XXXX`) named in a message.
fn reference_in(text: &str) -> String {
    let at = text.find("FK-").expect("a reference");
    text[at..].chars().take(12).collect()
}

/// The status link (`http://…/status/FK-…?t=…`) in a message.
fn link_in(text: &str) -> String {
    let at = text.find("http://").expect("a link");
    text[at..].split_whitespace().next().unwrap_or_default().to_string()
}

struct Chat<'a> {
    tg: &'a FakeTelegram,
    who: Person,
}

impl Chat<'_> {
    /// Types `text` and waits for the bot's message containing `needle`.
    async fn say(&self, text: &str, needle: &str) -> Sent {
        let mark = self.tg.mark();
        self.tg.text(&self.who, text);
        self.tg.reply(self.who.chat(), mark, needle).await
    }

    /// Taps a button and waits for the bot's message containing `needle`.
    async fn press(&self, data: &str, needle: &str) -> Sent {
        let mark = self.tg.mark();
        self.tg.press(&self.who, data);
        self.tg.reply(self.who.chat(), mark, needle).await
    }
}

async fn staff_page(s: &Server, who: &Staff, path: &str) -> String {
    let (st, html) = text(&who.c, &s.url(path)).await;
    assert_eq!(st, StatusCode::OK, "{path}");
    html
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relative_searches_sends_answers_and_hears_in_the_chat() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (dir, creds) = staff_registry(&[("m1", "moderator"), ("m2", "moderator")]);
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, SEED).expect("csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = Server::start(dir.path(), &["--telegram-token", TOKEN, "--telegram-api-url", &tg.url]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&s, &creds[1].0, &creds[1].1).await;
    let olga =
        Chat { tg: &tg, who: Person { user_id: 5001, username: Some("olga_k".into()), language_code: "ru".into() } };
    let chat = olga.who.chat();

    // A greeting in the user's language.
    olga.say("/start", "Здравствуйте").await;

    // The search: the public hit with its web line and a request button...
    let hits = olga.say("Громыхалов Тихон", "Громыхалов").await;
    assert!(hits.text.contains("1. Громыхалов Тихон Аркадьевич, 1988 г. р., Курская область"), "{hits:?}");
    for secret in ["Сосновый", "1988-03-04", "04.03.1988", "плен"] {
        assert!(!hits.text.contains(secret), "a hit shows the public line only: {secret} in {hits:?}");
    }
    let hit = hits.button("hit:").expect("a button that starts a request about him");
    assert!(hits.button("new").is_some(), "and one for someone not in the list");
    // ...and a name that is no public hit shows nobody.
    let none = olga.say("Громыхалов Осип", "Совпадений").await;
    assert!(!none.text.contains("Тихон") && none.button("hit:").is_none(), "{none:?}");

    // The questionnaire, from the hit: its name is taken, a bad date is
    // refused in Russian naming the field, optional questions are skipped.
    olga.press(&hit, "Громыхалов Тихон Аркадьевич").await;
    let bad = olga.say("31.02.1988", "Такой даты нет в календаре").await;
    assert!(bad.text.starts_with("Дата или год рождения"), "the field is named: {bad:?}");
    olga.say("1988", "Место рождения").await;
    olga.press("skip", "Регион").await;
    olga.say("Курская область", "Воинская часть").await;
    olga.press("skip", "Особые приметы").await;
    olga.press("skip", "Как вас зовут").await;
    olga.say("Ольга", "Кем вы").await;
    olga.say("мать", "электронной почты").await;
    olga.press("skip", "Телефон").await;
    olga.press("skip", "Что ещё вы знаете").await;
    olga.say("Пропал под Курском", "Пришлите фотографии").await;
    // A file that is no photo is refused in words; a photo is kept.
    let mark = tg.mark();
    tg.photo(&olga.who, b"not an image at all".to_vec());
    let refused = tg.reply(chat, mark, "Фото не принято").await;
    assert!(refused.text.contains("JPEG"), "{refused:?}");
    let mark = tg.mark();
    tg.photo(&olga.who, jpeg());
    tg.reply(chat, mark, "Фото принято (1 из 3)").await;
    let summary = olga.press("done", "Проверьте запрос").await;
    assert!(summary.text.contains("Ольга") && summary.text.contains("Фотографий: 1"), "{summary:?}");
    let send = summary.button("send:").expect("a send button");

    // "Send" twice (a double tap, or Telegram delivering again): one request.
    let mark = tg.mark();
    tg.press(&olga.who, &send);
    tg.press(&olga.who, &send);
    let sent = tg.reply(chat, mark, "Запрос отправлен").await;
    let reference = reference_in(&sent.text);
    let again = tg.reply(chat, mark, "уже отправлен").await;
    assert_eq!(reference_in(&again.text), reference);
    let queue = staff_page(&s, &m1, "/staff/requests?state=").await;
    let listed = queue.matches(&reference).count();
    assert!(listed >= 1 && queue.matches("FK-").count() == listed, "one request only: {queue}");
    let id = request_id(&s, &m1, &reference).await;
    let request_page = staff_page(&s, &m1, &format!("/staff/requests/{id}")).await;
    // One photo: its thumbnail inside a link to the full image.
    assert_eq!(request_page.matches("/staff/photos/").count(), 2, "the photo is stored: {request_page}");
    assert!(request_page.contains("olga_k"), "the Telegram name is a contact");
    let (st, status_page) = text(&reqwest::Client::new(), &link_in(&sent.text)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(status_page.contains(&reference));

    // A moderator asks; the question arrives in the chat; the answer typed
    // there takes the request back to the asking moderator's review.
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    let mark = tg.mark();
    assert_eq!(act(&s, &m1, id, "ask", &[("message", "Есть ли у него татуировки?")]).await, StatusCode::SEE_OTHER);
    let question = tg.reply(chat, mark, "Есть ли у него татуировки?").await;
    assert!(question.text.contains(&reference), "{question:?}");
    olga.say("Да, якорь на левом плече", "Ваш ответ передан модератору").await;
    let mine = staff_page(&s, &m1, &format!("/staff/requests/{id}")).await;
    assert!(mine.contains("Да, якорь на левом плече") && mine.contains("Новый ответ родственника"), "{mine}");
    assert!(mine.contains("/propose\""), "m1, who asked, has the review actions again");

    // Two moderators release: the chat gets a notice with a working link, never the details.
    let mark = tg.mark();
    assert_eq!(act(&s, &m1, id, "propose", &[("record_id", "4")]).await, StatusCode::SEE_OTHER);
    let words = [("message", "Он жив, находится в плену, место: Сосновый Бор")];
    assert_eq!(act(&s, &m2, id, "approve", &words).await, StatusCode::SEE_OTHER);
    let notice = tg.reply(chat, mark, "совпадение подтверждено").await;
    let link = link_in(&notice.text);
    let words = notice.text.replace(&link, "");
    for detail in ["Сосновый", "плену", "Громыхалов", "2024", "Курская"] {
        assert!(!words.contains(detail), "no detail in the chat: {detail} in {notice:?}");
    }
    assert!(link.contains(&format!("/status/{reference}?t=")), "{link}");
    let (st, released) = text(&reqwest::Client::new(), &link).await;
    assert_eq!(st, StatusCode::OK);
    assert!(released.contains("Сосновый Бор"), "the page behind the link shows the release");

    // /status lists the request with its state in words and a fresh link.
    let status = olga.say("/status", &reference).await;
    assert!(status.text.contains("Совпадение подтверждено"), "{status:?}");
    let (st, page) = text(&reqwest::Client::new(), &link_in(&status.text)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("Сосновый Бор"));

    // The token went only into the API paths, as Telegram wants it.
    assert!(tg.paths().iter().all(|p| p.contains("/bottest:token/")));
    assert!(tg.calls().contains(&"answerCallbackQuery".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stop_no_news_reaches_the_chat() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let s = Server::start(dir.path(), &["--telegram-token", TOKEN, "--telegram-api-url", &tg.url]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    // No Telegram user name: the chat alone is the contact. Ukrainian.
    let ivan = Chat { tg: &tg, who: Person { user_id: 7002, username: None, language_code: "uk".into() } };
    let chat = ivan.who.chat();

    ivan.say("/request", "Прізвище, ім'я та по батькові").await;
    ivan.say("Лаврентьєв Остап", "Дата або рік народження").await;
    for next in ["Місце народження", "Регіон", "Військова частина", "Особливі прикмети", "Як вас звати"]
    {
        ivan.press("skip", next).await;
    }
    ivan.say("Іван", "Ким ви").await;
    ivan.say("брат", "електронної пошти").await;
    // A bad field is named, in the chat's language, and asked again.
    let bad = ivan.say("ivan@mail", "повна назва поштового сервісу").await;
    assert!(bad.text.starts_with("Електронна пошта:"), "the field is named: {bad:?}");
    ivan.press("skip", "Телефон").await;
    ivan.press("skip", "Що ще ви знаєте").await;
    ivan.press("skip", "Надішліть фотографії").await;
    let summary = ivan.press("done", "Перевірте запит").await;
    let sent = ivan.press(&summary.button("send:").expect("send"), "Запит надіслано").await;
    let reference = reference_in(&sent.text);

    // The language can be switched.
    ivan.press("lang:en", "The bot will write in English").await;
    let status = ivan.say("/status", &reference).await;
    assert!(status.text.contains("Received, waiting for review"), "{status:?}");

    let stop = ivan.say("/stop", "unlinked").await;
    assert!(!stop.text.contains(&reference));
    let id = request_id(&s, &m1, &reference).await;
    let mark = tg.mark();
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    assert_eq!(act(&s, &m1, id, "ask", &[("message", "Чи є фото?")]).await, StatusCode::SEE_OTHER);
    // The courier runs every 2 s: give it three rounds.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(tg.since(chat, mark).is_empty(), "nothing after /stop: {:?}", tg.since(chat, mark));
    // The chat was forgotten: it speaks Telegram's language (Ukrainian) again.
    let none = ivan.say("/status", "немає ваших запитів").await;
    assert!(!none.text.contains(&reference));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_takes_updates_with_the_secret_only() {
    let tg = FakeTelegram::start(TOKEN).await;
    let (dir, _) = staff_registry(&[]);
    let hook = "https://findkin.example/telegram/webhook";
    let args = ["--telegram-token", TOKEN, "--telegram-api-url", &tg.url, "--telegram-webhook-url", hook];
    let s = Server::start(dir.path(), &args);
    let started = std::time::Instant::now();
    let (url, secret) = loop {
        if let Some(w) = tg.webhook() {
            break w;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "setWebhook was never called");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(url, hook);
    assert!(secret.len() >= 32, "a random secret");

    let anna = Person { user_id: 9003, username: None, language_code: "en".into() };
    let c = reqwest::Client::new();
    let post = |secret: Option<&str>, body: serde_json::Value| {
        let mut r = c.post(s.url("/telegram/webhook")).json(&body);
        if let Some(secret) = secret {
            r = r.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        r.send()
    };
    let forged = post(Some("wrong"), tg.text_update(&anna, "/start")).await.expect("POST");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let bare = post(None, tg.text_update(&anna, "/start")).await.expect("POST");
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(tg.since(anna.chat(), 0).is_empty(), "forged updates are not handled");

    let mark = tg.mark();
    let real = post(Some(&secret), tg.text_update(&anna, "/start")).await.expect("POST");
    assert_eq!(real.status(), StatusCode::OK);
    tg.reply(anna.chat(), mark, "Hello").await;
    assert!(!tg.paths().iter().any(|p| p.ends_with("/getUpdates")), "no polling in webhook mode");
}

/// Issue 11's promise: a relative who asked before her husband was in the
/// registry hears of him — in the chat and by email — once an import brings
/// him, with no detail in either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_brings_news_to_the_chat_and_the_mailbox() {
    use findkin_tests::relative::{confirm_link, mail_body, mails_to, wait_for_mails};
    let tg = FakeTelegram::start(TOKEN).await;
    let (dir, _) = staff_registry(&[]);
    let s = Server::start(dir.path(), &["--telegram-token", TOKEN, "--telegram-api-url", &tg.url]);
    let maria = Chat { tg: &tg, who: Person { user_id: 7003, username: None, language_code: "ru".into() } };
    let chat = maria.who.chat();

    maria.say("/request", "Фамилия, имя и отчество").await;
    maria.say("Грушевой Ярема Остапович", "Дата или год рождения").await;
    for next in ["Место рождения", "Регион", "Воинская часть", "Особые приметы", "Как вас зовут"]
    {
        maria.press("skip", next).await;
    }
    maria.say("Мария", "Кем вы").await;
    maria.say("жена", "электронной почты").await;
    maria.say("maria@example.org", "Телефон").await;
    maria.press("skip", "Что ещё вы знаете").await;
    maria.press("skip", "Пришлите фотографии").await;
    let summary = maria.press("done", "Проверьте запрос").await;
    maria.press(&summary.button("send:").expect("send"), "Запрос отправлен").await;
    let outbox = dir.path().join("outbox");
    let first = wait_for_mails(&outbox, "maria@example.org", 1).await;
    let link = first.first().and_then(|m| confirm_link(&mail_body(m))).expect("the address is asked to confirm");
    assert!(reqwest::get(s.url(&link)).await.expect("confirm").status().is_success());

    // He is not in the registry yet; the next exchange list brings him.
    let mark = tg.mark();
    let csv = dir.path().join("list.csv");
    std::fs::write(
        &csv,
        "external_id,surname,given_name,patronymic,sex,birth_date,region,status\n\
         G1,Грушевой,Ярема,Остапович,m,1984-09-12,Житомирская область,captured\n",
    )
    .expect("csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let news = tg.reply(chat, mark, "есть новости").await;
    for detail in ["Житомир", "1984", "плен", "G1"] {
        assert!(!news.text.contains(detail), "no detail ({detail}) in the chat: {news:?}");
    }
    let started = std::time::Instant::now();
    let mailed = loop {
        let news: Vec<String> = mails_to(&outbox, "maria@example.org")
            .iter()
            .map(|m| mail_body(m))
            .filter(|b| b.contains("есть новости"))
            .collect();
        if !news.is_empty() || started.elapsed() > Duration::from_secs(30) {
            break news;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(mailed.len(), 1, "one mail with the news");
    assert!(!mailed[0].contains("Житомир"), "no detail in the mail");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let later: Vec<Sent> = tg.since(chat, mark);
    assert_eq!(later.iter().filter(|m| m.text.contains("есть новости")).count(), 1, "told once: {later:?}");
}

/// A request sent on the web with only a Telegram name: its status page
/// says how to get the news in Telegram, the bot links the chat only for
/// the account named on the form, and a moderator's question then arrives
/// in that chat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_request_with_a_telegram_name_gets_its_news_in_the_chat() {
    use findkin_tests::relative::submit;
    let tg = FakeTelegram::start(TOKEN).await;
    let (dir, creds) = staff_registry(&[("m1", "moderator")]);
    let s = Server::start(dir.path(), &["--telegram-token", TOKEN, "--telegram-api-url", &tg.url]);
    let m1 = first_login(&s, &creds[0].0, &creds[0].1).await;
    let body = serde_json::json!({
        "language": "ru",
        "requester_name": "Вера",
        "relationship": "сестра",
        "telegram": "@Vera_Web",
        "sought_name": "Лаврентьев Остап Ильич",
        "sought_birth": "1990",
        "consent": true
    });
    let (reference, token) = submit(&s, &body).await;

    // The status page names the bot and the message to send (once the bot
    // has learnt its own name from getMe).
    let status = s.url(&format!("/status/{reference}?t={token}"));
    let started = std::time::Instant::now();
    let page = loop {
        let (_, page) = text(&reqwest::Client::new(), &status).await;
        if page.contains("@findkin_test_bot") || started.elapsed() > Duration::from_secs(15) {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(page.contains(&format!("/start {reference}")), "the page says what to send: {page}");

    // Someone else who knows the reference cannot take the news.
    let stranger =
        Chat { tg: &tg, who: Person { user_id: 8101, username: Some("not_vera".into()), language_code: "ru".into() } };
    stranger.say(&format!("/start {reference}"), "Не получилось связать запрос").await;
    let vera =
        Chat { tg: &tg, who: Person { user_id: 8102, username: Some("vera_web".into()), language_code: "ru".into() } };
    vera.say(&format!("/start {reference}"), &format!("новости по запросу {reference} будут приходить сюда")).await;
    let (_, page) = text(&reqwest::Client::new(), &status).await;
    assert!(!page.contains("/start "), "a linked request no longer asks: {page}");

    // The moderator's question reaches Vera's chat, and only hers.
    let id = request_id(&s, &m1, &reference).await;
    assert_eq!(act(&s, &m1, id, "claim", &[]).await, StatusCode::SEE_OTHER);
    let mark = tg.mark();
    assert_eq!(act(&s, &m1, id, "ask", &[("message", "Когда он звонил последний раз?")]).await, StatusCode::SEE_OTHER);
    let question = tg.reply(vera.who.chat(), mark, "Когда он звонил последний раз?").await;
    assert!(question.text.contains(&reference), "{question:?}");
    assert!(tg.since(stranger.who.chat(), mark).is_empty(), "nothing to the stranger");

    // She loses the link: the new one comes to the chat, the old stops working.
    let mark = tg.mark();
    let form = [("reference", reference.as_str()), ("contact", "t.me/Vera_Web")];
    let r = reqwest::Client::new().post(s.url("/status/recover")).form(&form).send().await.expect("recover");
    assert_eq!(r.status(), StatusCode::OK);
    let fresh = tg.reply(vera.who.chat(), mark, "новую ссылку").await;
    assert!(fresh.text.contains(&format!("/status/{reference}?t=")), "{fresh:?}");
    let (st, _) = text(&reqwest::Client::new(), &status).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "the old link no longer opens the request");
    let (st, page) = text(&reqwest::Client::new(), &link_in(&fresh.text)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains(&reference));
}
