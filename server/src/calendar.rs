//! Day numbers (days since 1970-01-01), for the few places that count in
//! whole days (demo data, charts), on the `time` crate's calendar.

use time::{Date, Month};

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// The date of a day number (clamped to the `time` crate's range).
pub fn date(days: i64) -> Date {
    let julian = (days + UNIX_EPOCH_JULIAN_DAY)
        .clamp(i64::from(Date::MIN.to_julian_day()), i64::from(Date::MAX.to_julian_day()));
    Date::from_julian_day(julian as i32).unwrap_or(Date::MIN)
}

/// The day number of a date.
pub fn days(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// (year, month, day) of a day number.
pub fn ymd(days: i64) -> (i64, u32, u32) {
    let d = date(days);
    (i64::from(d.year()), u32::from(u8::from(d.month())), u32::from(d.day()))
}

/// Days in a month of a year (31 for a month number out of range).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    u8::try_from(month).ok().and_then(|m| Month::try_from(m).ok()).map_or(31, |m| u32::from(m.length(year)))
}

/// `YYYY-MM-DD` of a day number.
pub fn iso(days: i64) -> String {
    let (y, m, d) = ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A stored timestamp (`2026-11-21T09:51:45.040Z`) as people read it:
/// `2026-11-21 09:51`, or with seconds. Always UTC; pages say so.
pub fn display_utc(at: &str, seconds: bool) -> String {
    let at = at.replace('T', " ");
    at.get(..if seconds { 19 } else { 16 }).unwrap_or(&at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(iso(0), "1970-01-01");
        assert_eq!(iso(19_723), "2024-01-01");
        assert_eq!(iso(20_513), "2026-03-01");
        assert_eq!(iso(11_016), "2000-02-29");
        assert_eq!(iso(-1), "1969-12-31");
    }

    #[test]
    fn timestamps_for_people() {
        assert_eq!(display_utc("2026-11-21T09:51:45.040Z", false), "2026-11-21 09:51");
        assert_eq!(display_utc("2026-11-21T09:51:45.040Z", true), "2026-11-21 09:51:45");
        assert_eq!(display_utc("short", true), "short");
    }
}
