//! How the console says things to staff: states, history steps, whose turn
//! it is, how long something has waited, match kinds. Staff read words,
//! never the stored codes (`requester_adds_info`, `in_review`), and never
//! the labels written for the relative ("Отозван вами").

use findkin_app::i18n::{has_key, t, tf, Lang};
use findkin_search::MatchKind;

use crate::requests::RequestEvent;
use crate::workflow::{turn, Facts, State, Turn};

/// A request state as staff call it.
pub fn state(lang: Lang, s: State) -> String {
    t(lang, &format!("staff.state.{}", s.as_str()))
}

/// A stored state code in words (unknown codes, from an older version,
/// are shown as they are rather than hidden).
fn state_code(lang: Lang, code: &str) -> String {
    State::parse(code).map(|s| state(lang, s)).unwrap_or_else(|| code.to_string())
}

/// Who did something, as stored in events and messages: staff names stay,
/// the relative and the system get words.
pub fn actor(lang: Lang, stored: &str) -> String {
    match stored {
        "requester" => t(lang, "staff.history.requester"),
        "system" => t(lang, "staff.history.system"),
        name => name.to_string(),
    }
}

/// One history row in words: "взял в работу", "вернул на доработку: …".
/// Rows written before steps were named say which state they led to.
pub fn event(lang: Lang, e: &RequestEvent) -> String {
    let key = match (&e.step, &e.from_state) {
        (Some(step), _) => format!("staff.step.{step}"),
        (None, None) => "staff.step.submitted".to_string(),
        (None, Some(_)) => String::new(),
    };
    let what = if has_key(&key) {
        t(lang, &key)
    } else {
        tf(lang, "staff.step.moved", &[("state", &state_code(lang, &e.to_state))])
    };
    match e.note.as_deref().map(|n| note(lang, n)) {
        Some(n) if !n.is_empty() => format!("{what}: {n}"),
        _ => what,
    }
}

/// Notes the system writes in English for the log, in words.
fn note(lang: Lang, stored: &str) -> String {
    match stored.trim() {
        "account disabled" => t(lang, "staff.history.account_disabled"),
        n => n.trim_start_matches("→ ").to_string(),
    }
}

/// Whose turn it is, in words, with the names of the moderators involved.
pub fn turn_text(lang: Lang, f: Facts, claimer: Option<&str>, proposer: Option<&str>) -> String {
    let name = |n: Option<&str>| n.unwrap_or("—").to_string();
    match turn(f) {
        Turn::AnyModerator => t(lang, "staff.turn.any"),
        Turn::Claimer(_) => tf(lang, "staff.turn.claimer", &[("name", &name(claimer))]),
        Turn::SecondModerator { .. } => tf(lang, "staff.turn.second", &[("name", &name(proposer))]),
        Turn::Requester { .. } => t(lang, "staff.turn.requester"),
        Turn::Nobody => t(lang, "staff.turn.nobody"),
    }
}

/// The plural form a count takes: Russian and Ukrainian have three
/// (1 день, 2 дня, 5 дней), English two.
pub fn plural(lang: Lang, n: i64) -> &'static str {
    let (d, h) = (n % 10, n % 100);
    match lang {
        Lang::En if n == 1 => "one",
        Lang::En => "many",
        _ if d == 1 && h != 11 => "one",
        _ if (2..=4).contains(&d) && !(12..=14).contains(&h) => "few",
        _ => "many",
    }
}

/// How long something has waited: "меньше часа", "5 часов", "2 дня".
pub fn age(lang: Lang, seconds: i64) -> String {
    let (hours, days) = (seconds / 3600, seconds / 86_400);
    let (unit, n) = match () {
        _ if hours < 1 => return t(lang, "staff.age.under_hour"),
        _ if days < 1 => ("hours", hours),
        _ => ("days", days),
    };
    tf(lang, &format!("staff.age.{unit}.{}", plural(lang, n)), &[("n", &n.to_string())])
}

/// How long ago a stored timestamp was, in words; `None` if it is unreadable.
pub fn age_since(lang: Lang, at: &str, now: i64) -> Option<String> {
    unix(at).map(|then| age(lang, (now - then).max(0)))
}

/// Seconds since 1970 of a stored timestamp (`2026-11-21T09:51:45.040Z`).
pub fn unix(at: &str) -> Option<i64> {
    crate::store::clock::parse(at).map(|t| t.unix_timestamp())
}

/// The translation key of a match kind. Exhaustive: a new kind in the
/// name engine does not compile until it has words here.
pub fn kind_key(k: MatchKind) -> &'static str {
    match k {
        MatchKind::Exact => "staff.kind.exact",
        MatchKind::Transliteration => "staff.kind.transliteration",
        MatchKind::Dictionary => "staff.kind.dictionary",
        MatchKind::SurnameForm => "staff.kind.surname_form",
        MatchKind::CaseForm => "staff.kind.case_form",
        MatchKind::ByEar => "staff.kind.by_ear",
        MatchKind::Fuzzy => "staff.kind.fuzzy",
        MatchKind::Initial => "staff.kind.initial",
    }
}

pub fn kind(lang: Lang, k: MatchKind) -> String {
    t(lang, kind_key(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::Step;

    #[test]
    fn every_state_step_and_kind_has_words_in_every_language() {
        let steps = Step::KINDS;
        let mut keys: Vec<String> = State::ALL.iter().map(|s| format!("staff.state.{}", s.as_str())).collect();
        keys.extend(steps.iter().map(|s| format!("staff.step.{}", s.as_str())));
        let kinds = [
            MatchKind::Exact,
            MatchKind::Transliteration,
            MatchKind::Dictionary,
            MatchKind::SurnameForm,
            MatchKind::CaseForm,
            MatchKind::ByEar,
            MatchKind::Fuzzy,
            MatchKind::Initial,
        ];
        keys.extend(kinds.iter().map(|k| kind_key(*k).to_string()));
        for form in ["one", "few", "many"] {
            keys.push(format!("staff.age.hours.{form}"));
            keys.push(format!("staff.age.days.{form}"));
        }
        for k in keys {
            assert!(has_key(&k), "missing translation {k}");
        }
    }

    #[test]
    fn ages_in_words_with_their_plural() {
        assert_eq!(age(Lang::Ru, 59 * 60), "меньше часа");
        assert_eq!(age(Lang::Ru, 3 * 3600), "3 часа");
        assert_eq!(age(Lang::Ru, 2 * 86_400 + 5), "2 дня");
        assert_eq!(age(Lang::Ru, 11 * 86_400), "11 дней");
        assert_eq!(age(Lang::Ru, 21 * 86_400), "21 день");
        assert_eq!(age(Lang::Uk, 5 * 86_400), "5 днів");
        assert_eq!(age(Lang::En, 86_400), "1 day");
        assert_eq!(age(Lang::En, 2 * 3600), "2 hours");
    }

    #[test]
    fn stored_timestamps_read_back() {
        assert_eq!(unix("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(unix("2024-01-01T00:00:01Z"), Some(19_723 * 86_400 + 1));
        assert_eq!(unix("2000-02-29T12:00:00Z"), Some(11_016 * 86_400 + 12 * 3600));
        assert_eq!(unix("soon"), None);
    }

    #[test]
    fn history_rows_name_the_step_never_the_code() {
        let ev = |step: Option<&str>, from: Option<&str>, to: &str, note: Option<&str>| RequestEvent {
            at: String::new(),
            actor: "m1".into(),
            step: step.map(str::to_string),
            from_state: from.map(str::to_string),
            to_state: to.into(),
            note: note.map(str::to_string),
        };
        assert_eq!(event(Lang::Ru, &ev(Some("claim"), Some("submitted"), "in_review", None)), "взял в работу");
        assert_eq!(
            event(Lang::Ru, &ev(Some("return_to_review"), Some("match_proposed"), "in_review", Some("не та дата"))),
            "вернул на доработку: не та дата"
        );
        assert_eq!(event(Lang::Ru, &ev(None, None, "submitted", None)), "отправил(а) запрос");
        let old = event(Lang::Ru, &ev(None, Some("in_review"), "needs_info", None));
        assert!(old.contains("ждёт ответа родственника"), "{old}");
        let freed =
            event(Lang::Ru, &ev(Some("release_claim"), Some("in_review"), "submitted", Some("account disabled")));
        assert!(!freed.contains("account disabled"), "{freed}");
    }
}
