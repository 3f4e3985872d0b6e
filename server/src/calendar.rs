//! Proleptic Gregorian day numbers (days since 1970-01-01), for the few
//! places that need dates without a date crate (demo data, charts).

/// (year, month, day) of a day number.
pub fn ymd(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
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
