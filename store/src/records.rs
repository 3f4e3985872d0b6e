//! Registry records: the validated shape of one person, and the parsing of
//! each field with a reason a person can act on.

use serde::{Deserialize, Serialize};

/// What is known of a person's fate. Never shown publicly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Captured,
    Released,
    Deceased,
    RemainsRepatriated,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Captured, Status::Released, Status::Deceased, Status::RemainsRepatriated];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Captured => "captured",
            Status::Released => "released",
            Status::Deceased => "deceased",
            Status::RemainsRepatriated => "remains_repatriated",
        }
    }

    pub fn parse(s: &str) -> Result<Status, String> {
        let s = s.trim();
        Status::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let allowed: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            format!("unknown status {s:?}; expected one of: {}", allowed.join(", "))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "m")]
    Male,
    #[serde(rename = "f")]
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "m",
            Sex::Female => "f",
        }
    }

    /// Accepts m/f and the Russian м/ж; empty means unknown.
    pub fn parse(s: &str) -> Result<Option<Sex>, String> {
        match s.trim().to_lowercase().as_str() {
            "" => Ok(None),
            "m" | "м" | "male" => Ok(Some(Sex::Male)),
            "f" | "ж" | "female" => Ok(Some(Sex::Female)),
            other => Err(format!("unknown sex {other:?}; expected m or f (or empty)")),
        }
    }
}

/// Earliest and latest years a registry date may carry.
pub const YEARS: std::ops::RangeInclusive<u16> = 1900..=2030;

/// A date known to the day, the month or only the year, kept as written
/// in ISO form (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`).
pub fn parse_partial_date(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("malformed date {s:?}; expected YYYY-MM-DD, YYYY-MM or YYYY");
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, len: usize| -> Result<u16, String> {
        if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
            p.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let year = num(parts[0], 4)?;
    if !YEARS.contains(&year) {
        return Err(format!("year {year} in {s:?} is out of range {}–{}", YEARS.start(), YEARS.end()));
    }
    if parts.len() >= 2 {
        let month = num(parts[1], 2)?;
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} in {s:?} does not exist"));
        }
        if parts.len() == 3 {
            let day = num(parts[2], 2)?;
            if day == 0 || day > days_in_month(year, month) {
                return Err(format!("day {day} in {s:?} does not exist"));
            }
        }
    }
    if parts.len() > 3 {
        return Err(bad());
    }
    Ok(Some(s.to_string()))
}

/// Why a date typed into a form was refused; each has its own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Not a date in any form we read.
    Unreadable,
    /// Read, but the calendar has no such day or month (`31.02.1987`).
    NoSuchDay,
    /// A year outside [`YEARS`].
    OutOfRange,
}

impl DateProblem {
    /// Translation key of the message, which shows an accepted example.
    pub fn message_key(self) -> &'static str {
        match self {
            DateProblem::Unreadable => "request.error.birth_unreadable",
            DateProblem::NoSuchDay => "request.error.birth_no_such_day",
            DateProblem::OutOfRange => "request.error.birth_range",
        }
    }
}

/// A date as people write it in a form — `13.05.1987`, `13/05/1987`,
/// `5.1987`, `1987`, `1987 г.` or ISO `1987-05-13` — normalised to the ISO
/// partial date the registry keeps, and checked by [`parse_partial_date`].
/// Day first, never month first; a two-digit year is refused (which century?).
pub fn parse_written_date(s: &str) -> Result<Option<String>, DateProblem> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let s = ["г.", "г", "р.", "р"].iter().find_map(|suffix| s.strip_suffix(suffix)).unwrap_or(s);
    let parts: Vec<&str> = s.split(['.', '/', '-', ' ']).filter(|p| !p.is_empty()).collect();
    let is_year = |p: &str| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit());
    // The year first (ISO) or last (by hand); month and day read outwards from it.
    let (year, month_day): (&str, Vec<&str>) = match parts.as_slice() {
        [y, rest @ ..] if is_year(y) => (*y, rest.to_vec()),
        [rest @ .., y] if is_year(y) => (*y, rest.iter().rev().copied().collect()),
        _ => return Err(DateProblem::Unreadable),
    };
    if month_day.len() > 2
        || !month_day.iter().all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DateProblem::Unreadable);
    }
    if !year.parse().is_ok_and(|y: u16| YEARS.contains(&y)) {
        return Err(DateProblem::OutOfRange);
    }
    let iso: Vec<String> =
        std::iter::once(year.to_string()).chain(month_day.iter().map(|p| format!("{p:0>2}"))).collect();
    parse_partial_date(&iso.join("-")).map_err(|_| DateProblem::NoSuchDay)
}

fn days_in_month(year: u16, month: u16) -> u16 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Checks a name part: letters, spaces, hyphens and apostrophes only.
pub fn parse_name(s: &str, required: bool) -> Result<String, String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return if required { Err("is empty; a name is required".into()) } else { Ok(s) };
    }
    if s.chars().count() > 100 {
        return Err("is longer than 100 characters".into());
    }
    if let Some(c) = s.chars().find(|c| !(c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | 'ʼ' | '.'))) {
        return Err(format!("contains {c:?}; only letters, spaces, hyphens and apostrophes are allowed"));
    }
    Ok(s)
}

/// Free text (places, unit, notes): trimmed, bounded, no control characters.
pub fn parse_text(s: &str, max: usize) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(format!("is longer than {max} characters"));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("contains control characters".into());
    }
    Ok(Some(s.to_string()))
}

/// One validated registry record, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordInput {
    pub external_id: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<String>,
    pub birth_place: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    pub rank: Option<String>,
    pub status: Status,
    pub status_date: Option<String>,
    pub status_place: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

#[cfg(test)]
impl RecordInput {
    /// A captured "Иванов Пётр" under `external_id`, nothing else known.
    pub(crate) fn sample(external_id: &str) -> Self {
        RecordInput {
            external_id: external_id.into(),
            surname: "Иванов".into(),
            given_name: "Пётр".into(),
            patronymic: String::new(),
            sex: None,
            birth_date: None,
            birth_place: None,
            region: None,
            unit: None,
            rank: None,
            status: Status::Captured,
            status_date: None,
            status_place: None,
            source: None,
            notes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_three_precisions() {
        assert_eq!(parse_partial_date("1990-05-01").unwrap().as_deref(), Some("1990-05-01"));
        assert_eq!(parse_partial_date("1990-05").unwrap().as_deref(), Some("1990-05"));
        assert_eq!(parse_partial_date("1990").unwrap().as_deref(), Some("1990"));
        assert_eq!(parse_partial_date(" ").unwrap(), None);
        assert_eq!(parse_partial_date("2000-02-29").unwrap().as_deref(), Some("2000-02-29"));
        for bad in [
            "1990-13",
            "1990-02-30",
            "1900-02-29",
            "90-01-01",
            "1990/01/01",
            "01.05.1990",
            "3000",
            "1990-1-1",
            "1990-01-01-01",
        ] {
            assert!(parse_partial_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_as_people_write_them() {
        let ok = |s: &str| parse_written_date(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        for (written, iso) in [
            ("13.05.1987", "1987-05-13"),
            ("13/05/1987", "1987-05-13"),
            ("13-05-1987", "1987-05-13"),
            ("1.5.1987", "1987-05-01"),
            (" 13. 05. 1987 ", "1987-05-13"),
            ("05.1987", "1987-05"),
            ("5.1987", "1987-05"),
            ("5/1987", "1987-05"),
            ("1987", "1987"),
            ("1987 г.", "1987"),
            ("1987р.", "1987"),
            ("1987-05-13", "1987-05-13"),
            ("1987-5-3", "1987-05-03"),
            ("1987-05", "1987-05"),
            ("29.02.2000", "2000-02-29"),
        ] {
            assert_eq!(ok(written).as_deref(), Some(iso), "{written}");
        }
        assert_eq!(ok("  "), None);
        for (bad, why) in [
            ("31.02.1987", DateProblem::NoSuchDay),
            ("29.02.1987", DateProblem::NoSuchDay),
            ("13.13.1987", DateProblem::NoSuchDay),
            ("0.05.1987", DateProblem::NoSuchDay),
            ("13.05.87", DateProblem::Unreadable),
            ("13 мая 1987", DateProblem::Unreadable),
            ("1.2.3.1987", DateProblem::Unreadable),
            ("123.05.1987", DateProblem::Unreadable),
            ("1987-1988", DateProblem::Unreadable),
            ("вчера", DateProblem::Unreadable),
            ("13.05.1812", DateProblem::OutOfRange),
            ("3000", DateProblem::OutOfRange),
        ] {
            assert_eq!(parse_written_date(bad), Err(why), "{bad}");
        }
        // Whatever is accepted is what the registry itself accepts.
        for written in ["13.05.1987", "5.1987", "1987"] {
            let iso = ok(written).unwrap_or_default();
            assert_eq!(parse_partial_date(&iso), Ok(Some(iso.clone())));
        }
    }

    #[test]
    fn status_and_sex() {
        assert_eq!(Status::parse("Captured").unwrap(), Status::Captured);
        assert!(Status::parse("missing").unwrap_err().contains("remains_repatriated"));
        assert_eq!(Sex::parse("ж").unwrap(), Some(Sex::Female));
        assert!(Sex::parse("x").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(parse_name("  Петров-Водкин  ", true).unwrap(), "Петров-Водкин");
        assert!(parse_name("", true).is_err());
        assert!(parse_name("Иванов1", true).unwrap_err().contains("'1'"));
    }
}
