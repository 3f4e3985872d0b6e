//! Registry records: the validated shape of one person, and the parsing of
//! each field with a reason a person can act on.

use serde::Serialize;

/// What is known of a person's fate. Never shown publicly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
