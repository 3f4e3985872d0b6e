//! Dates as people write them, in the page's language, for the relative's
//! pages: "13 мая 2026, 14:05" for when something happened, "13 мая 1987 г.",
//! "май 1987" or "1987" for a record's (possibly partial) dates. ISO text
//! reads as a machine's to a mother on a phone; a value that is not a real
//! calendar date is shown as written rather than guessed at.

use findkin_app::i18n::{t, tf, Lang};
use time::{Date, Month, Time};

fn number<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    s.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
}

fn month(m: Option<&str>) -> Option<Month> {
    Month::try_from(number::<u8>(m)?).ok()
}

/// `i18n` month name: genitive ("мая", after a day) or nominative ("май").
fn month_name(lang: Lang, m: Month, genitive: bool) -> String {
    let case = if genitive { "gen" } else { "nom" };
    t(lang, &format!("status.month.{case}.{}", m as u8))
}

/// `key` filled with the day, month (genitive) and year of `d`, and `time`.
fn day_words(lang: Lang, key: &str, d: Date, time: &str) -> String {
    let (day, month) = (d.day().to_string(), month_name(lang, d.month(), true));
    tf(lang, key, &[("day", &day), ("month", &month), ("year", &d.year().to_string()), ("time", time)])
}

/// A stored UTC timestamp (`2026-05-13T14:05:12.345Z`) in words:
/// "13 мая 2026, 14:05". Anything else is returned as it is.
pub fn moment(lang: Lang, at: &str) -> String {
    parse_moment(at)
        .map(|(d, time)| day_words(lang, "status.date.moment", d, &format!("{:02}:{:02}", time.hour(), time.minute())))
        .unwrap_or_else(|| at.to_string())
}

fn parse_moment(at: &str) -> Option<(Date, Time)> {
    let (date, clock) = at.split_once('T').or_else(|| at.split_once(' '))?;
    let d = full_date(date)?;
    let mut hm = clock.split(':');
    let time = Time::from_hms(number(hm.next())?, number(hm.next())?, 0).ok()?;
    Some((d, time))
}

fn full_date(s: &str) -> Option<Date> {
    let mut p = s.split('-');
    let (y, m, d) = (number::<i32>(p.next())?, month(p.next())?, number::<u8>(p.next())?);
    if p.next().is_some() {
        return None;
    }
    Date::from_calendar_date(y, m, d).ok()
}

/// A record's date in words: `1987-05-13` → "13 мая 1987 г.", `1987-05` →
/// "май 1987", `1987` → "1987". Anything else as written.
pub fn record_date(lang: Lang, s: &str) -> String {
    let s = s.trim();
    if let Some(d) = full_date(s) {
        return day_words(lang, "status.date.day", d, "");
    }
    let parts: Vec<&str> = s.split('-').collect();
    match parts[..] {
        [y] if y.len() == 4 && number::<i32>(Some(y)).is_some() => y.to_string(),
        [y, m] if y.len() == 4 && number::<i32>(Some(y)).is_some() => match month(Some(m)) {
            Some(m) => tf(lang, "status.date.month", &[("month", &month_name(lang, m, false)), ("year", y)]),
            None => s.to_string(),
        },
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_in_each_language() {
        assert_eq!(moment(Lang::Ru, "2026-05-13T14:05:12.345Z"), "13 мая 2026, 14:05");
        assert_eq!(moment(Lang::Uk, "2026-05-13T14:05:12.345Z"), "13 травня 2026, 14:05");
        assert_eq!(moment(Lang::En, "2026-05-13T09:05:00Z"), "13 May 2026, 09:05");
        assert_eq!(moment(Lang::Ru, "2026-02-30T14:05:00Z"), "2026-02-30T14:05:00Z", "no such day");
        assert_eq!(moment(Lang::Ru, "soon"), "soon");
    }

    #[test]
    fn record_dates_whole_and_partial() {
        assert_eq!(record_date(Lang::Ru, "1987-05-13"), "13 мая 1987 г.");
        assert_eq!(record_date(Lang::Ru, "1987-05"), "май 1987");
        assert_eq!(record_date(Lang::Ru, "1987"), "1987");
        assert_eq!(record_date(Lang::Uk, "1990-01-02"), "2 січня 1990 р.");
        assert_eq!(record_date(Lang::Uk, "1999-07"), "липень 1999");
        assert_eq!(record_date(Lang::En, "1990-01-02"), "2 January 1990");
        for odd in ["1987-13", "87", "весна 1987", "1987-05-13-1", ""] {
            assert_eq!(record_date(Lang::Ru, odd), odd, "as written");
        }
    }
}
