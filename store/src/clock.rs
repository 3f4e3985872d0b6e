//! Stored timestamps, computed here rather than by the database, so both
//! backends write the same text: `2026-12-01T05:30:12.345Z` (UTC,
//! milliseconds), which sorts as it reads.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

const FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The stored text of a moment.
pub fn text(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(FORMAT).unwrap_or_default()
}

/// The stored text of now.
pub fn now() -> String {
    text(OffsetDateTime::now_utc())
}

/// Now in Unix seconds (the outbox, sessions and throttles count in them).
pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Now in Unix milliseconds (rate-limit buckets count in them).
pub fn unix_now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The stored text of `by` before now.
pub fn ago(by: Duration) -> String {
    text(OffsetDateTime::now_utc() - by)
}

/// The stored text of a Unix time in seconds (the epoch when out of range).
pub fn of_unix(secs: i64) -> String {
    text(OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// A stored text (or any RFC 3339 time) back as a moment, if it is one.
pub fn parse(at: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_as_sqlite_strftime() {
        assert_eq!(of_unix(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(of_unix(1_764_567_012), "2025-12-01T05:30:12.000Z");
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_764_567_012_345_678_901).unwrap();
        assert_eq!(text(t), "2025-12-01T05:30:12.345Z");
        assert_eq!(parse(&text(t)).map(|p| p.unix_timestamp()), Some(1_764_567_012));
        assert!(ago(Duration::days(1)) < now());
    }
}
