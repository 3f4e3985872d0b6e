//! PFIF's timestamps: `YYYY-MM-DDThh:mm:ssZ`, always UTC.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Formats a moment as PFIF wants it (UTC, whole seconds).
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Reads a PFIF timestamp; fractional seconds are tolerated, any zone but
/// `Z` is not (PFIF dates are UTC).
pub fn parse(s: &str) -> Result<OffsetDateTime, String> {
    let bad = || format!("malformed date {s:?}; PFIF dates are UTC, YYYY-MM-DDThh:mm:ssZ");
    let body = s.strip_suffix('Z').ok_or_else(bad)?;
    let body = match body.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => whole,
        Some(_) => return Err(bad()),
        None => body,
    };
    let b = body.as_bytes();
    let shape_ok = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| body.get(r).and_then(|p| p.parse::<u16>().ok()).ok_or_else(bad);
    let month = Month::try_from(num(5..7)? as u8).map_err(|_| bad())?;
    let date = Date::from_calendar_date(i32::from(num(0..4)?), month, num(8..10)? as u8)
        .map_err(|_| format!("{s:?} is not a calendar date"))?;
    let t = Time::from_hms(num(11..13)? as u8, num(14..16)? as u8, num(17..19)? as u8)
        .map_err(|_| format!("{s:?} is not a time of day"))?;
    Ok(PrimitiveDateTime::new(date, t).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_back() {
        let at = parse("2024-02-29T23:05:09Z").unwrap();
        assert_eq!(format(at), "2024-02-29T23:05:09Z");
        assert_eq!(format(parse("2024-01-01T00:00:00.250Z").unwrap()), "2024-01-01T00:00:00Z");
        for bad in [
            "2024-02-30T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00+03:00",
            "2024-01-01",
            "2024-1-01T00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
