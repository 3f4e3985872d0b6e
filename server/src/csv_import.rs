//! Reading a registry CSV (format in docs/ARCHITECTURE.md) into validated records.
//!
//! Every problem is reported with its line, column and reason, so an
//! operator can fix the file in one pass, and a file with any problem
//! imports nothing. A file on disk is read once, as a stream: its rows are
//! staged as they are checked and dropped if a problem turns up
//! ([`CheckedRows`]), so a million rows never sit in memory.

use std::collections::HashMap;
use std::fmt;

use crate::records::{parse_name, parse_partial_date, parse_text, RecordInput, Sex, Status};

/// The columns of the import format, in their documented order.
pub const COLUMNS: [&str; 15] = [
    "external_id",
    "surname",
    "given_name",
    "patronymic",
    "sex",
    "birth_date",
    "birth_place",
    "region",
    "unit",
    "rank",
    "status",
    "status_date",
    "status_place",
    "source",
    "notes",
];

/// Columns a file must have.
const REQUIRED: [&str; 4] = ["external_id", "surname", "given_name", "status"];

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line in the file.
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {}: {}", self.line, c, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// Every problem found; nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvErrors(pub Vec<RowError>);

/// Errors shown in full; beyond this a count stands for the rest.
const SHOWN: usize = 50;

impl fmt::Display for CsvErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_problems(f, &self.0)
    }
}

/// A refused import's problems, the first [`SHOWN`] in full and a count for
/// the rest (CSV and PFIF say it the same way).
pub(crate) fn write_problems<T: fmt::Display>(f: &mut fmt::Formatter<'_>, problems: &[T]) -> fmt::Result {
    writeln!(f, "{} problem(s) found; nothing was imported:", problems.len())?;
    for e in problems.iter().take(SHOWN) {
        writeln!(f, "  {e}")?;
    }
    if problems.len() > SHOWN {
        writeln!(f, "  … and {} more", problems.len() - SHOWN)?;
    }
    Ok(())
}

impl std::error::Error for CsvErrors {}

fn err(line: u64, column: Option<&str>, message: impl Into<String>) -> RowError {
    RowError { line, column: column.map(str::to_string), message: message.into() }
}

/// Checks the encoding: a file that is not UTF-8 is refused with the line
/// and byte where the first bad byte is.
fn as_utf8(bytes: &[u8]) -> Result<&str, CsvErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let col = good.len() - good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        CsvErrors(vec![err(
            line,
            None,
            format!("the file is not UTF-8 text (bad byte at position {col}); save it as UTF-8 and try again"),
        )])
    })
}

/// Parses and validates a whole CSV file held in memory (console uploads,
/// demo data). `progress` is called with the number of rows read.
pub fn parse_csv(bytes: &[u8], progress: &mut dyn FnMut(u64)) -> Result<Vec<RecordInput>, CsvErrors> {
    as_utf8(bytes)?;
    let mut out = Vec::new();
    check_rows(bytes, progress, &mut |r| out.push(r))?;
    Ok(out)
}

/// Streams a CSV source once, checking every row and that no `external_id`
/// appears twice; each good record goes to `keep`. Memory stays at one row
/// plus the ids seen. Returns the number of records.
pub fn check_rows(
    source: impl std::io::Read,
    progress: &mut dyn FnMut(u64),
    keep: &mut dyn FnMut(RecordInput),
) -> Result<u64, CsvErrors> {
    let mut rows = CheckedRows::new(source)?;
    let mut good = 0u64;
    while let Some(row) = rows.next() {
        keep(row?);
        good += 1;
        if good.is_multiple_of(1000) {
            progress(rows.read());
        }
    }
    progress(rows.read());
    Ok(good)
}

/// The good records of a CSV source, read once. While the file has shown no
/// problem every record is yielded as it is read. At the first problem the
/// rest of the file is read for its problems too, and all of them come as
/// the last item: a caller that stored what came before drops it (an
/// import's staging), so a file is taken whole or not at all.
pub struct CheckedRows<R: std::io::Read> {
    rows: Rows<R>,
    /// The line of every id seen, by [`id_key`] (24 bytes an entry).
    seen: HashMap<[u64; 2], u64>,
    done: bool,
}

impl<R: std::io::Read> CheckedRows<R> {
    /// Reads and checks the header.
    pub fn new(source: R) -> Result<Self, CsvErrors> {
        Ok(CheckedRows { rows: Rows::new(source)?, seen: HashMap::new(), done: false })
    }

    /// Rows read so far (blank lines included).
    pub fn read(&self) -> u64 {
        self.rows.read
    }

    fn check(&mut self, row: Result<(u64, RecordInput), Vec<RowError>>) -> Result<RecordInput, Vec<RowError>> {
        let (line, rec) = row?;
        match self.seen.insert(id_key(&rec.external_id), line) {
            None => Ok(rec),
            Some(first) => Err(vec![err(
                line,
                Some("external_id"),
                format!("{:?} already appears on line {first}; each person once per file", rec.external_id),
            )]),
        }
    }
}

impl<R: std::io::Read> Iterator for CheckedRows<R> {
    type Item = Result<RecordInput, CsvErrors>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let Some(row) = self.rows.next() else {
            self.done = true;
            return None;
        };
        let mut errors = match self.check(row) {
            Ok(rec) => return Some(Ok(rec)),
            Err(errors) => errors,
        };
        while let Some(row) = self.rows.next() {
            if let Err(mut more) = self.check(row) {
                errors.append(&mut more);
            }
        }
        self.done = true;
        Some(Err(CsvErrors(errors)))
    }
}

/// 128 bits of SHA-256 of an id, kept instead of the id: a million ids take
/// 16 bytes each rather than a string apiece, and two different ids share
/// a key with odds of about one in 10^26 for a million rows.
fn id_key(id: &str) -> [u64; 2] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id.as_bytes());
    let word = |i: usize| digest[i * 8..i * 8 + 8].iter().fold(0u64, |w, &b| (w << 8) | u64::from(b));
    [word(0), word(1)]
}

/// The records of a CSV source, row by row, each with its line number.
pub struct Rows<R: std::io::Read> {
    records: csv::StringRecordsIntoIter<R>,
    columns: Vec<String>,
    /// Rows read so far (blank lines included).
    pub read: u64,
}

impl<R: std::io::Read> Rows<R> {
    /// Reads and checks the header.
    pub fn new(source: R) -> Result<Self, CsvErrors> {
        let reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(source);
        let mut records = reader.into_records();
        let header = match records.next() {
            None => return Err(CsvErrors(vec![err(1, None, "the file is empty; expected a header row")])),
            Some(Err(e)) => return Err(CsvErrors(vec![csv_error(e)])),
            Some(Ok(h)) => h,
        };
        let mut header = header;
        // A UTF-8 byte order mark (spreadsheets write one) is not part of the first name.
        if let Some(first) = header.get(0).and_then(|f| f.strip_prefix('\u{feff}')).map(str::to_string) {
            let rest: Vec<String> = header.iter().skip(1).map(str::to_string).collect();
            header = std::iter::once(first).chain(rest).collect();
        }
        let columns = check_header(&header)?;
        Ok(Rows { records, columns, read: 0 })
    }
}

impl<R: std::io::Read> Iterator for Rows<R> {
    type Item = Result<(u64, RecordInput), Vec<RowError>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let row = self.records.next()?;
            self.read += 1;
            let row = match row {
                Ok(r) => r,
                Err(e) => return Some(Err(vec![csv_error(e)])),
            };
            let line = row.position().map_or(self.read + 1, |p| p.line());
            if row.len() == 1 && row.get(0).is_some_and(|f| f.trim().is_empty()) {
                continue; // a blank line
            }
            if row.len() != self.columns.len() {
                let message = format!("expected {} fields as in the header, found {}", self.columns.len(), row.len());
                return Some(Err(vec![err(line, None, message)]));
            }
            let columns = &self.columns;
            let get =
                |name: &str| -> &str { columns.iter().position(|c| c == name).and_then(|i| row.get(i)).unwrap_or("") };
            return Some(parse_row(line, &get).map(|rec| (line, rec)));
        }
    }
}

fn csv_error(e: csv::Error) -> RowError {
    let line = e.position().map_or(0, |p| p.line());
    if let csv::ErrorKind::Utf8 { .. } = e.kind() {
        return err(line, None, "the file is not UTF-8 text; save it as UTF-8 and try again");
    }
    err(line, None, format!("unreadable CSV: {e}"))
}

fn check_header(header: &csv::StringRecord) -> Result<Vec<String>, CsvErrors> {
    let mut errors = Vec::new();
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    for (i, name) in names.iter().enumerate() {
        if !COLUMNS.contains(&name.as_str()) {
            errors.push(err(
                1,
                Some(name),
                format!("unknown column {:?} (field {}); allowed columns: {}", name, i + 1, COLUMNS.join(", ")),
            ));
        } else if names[..i].contains(name) {
            errors.push(err(1, Some(name), "column appears twice"));
        }
    }
    for req in REQUIRED {
        if !names.iter().any(|n| n == req) {
            errors.push(err(1, Some(req), "required column is missing"));
        }
    }
    if errors.is_empty() {
        Ok(names)
    } else {
        Err(CsvErrors(errors))
    }
}

/// Collects the problems of one row while its fields are parsed.
struct RowCheck<'a> {
    line: u64,
    get: &'a dyn Fn(&str) -> &'a str,
    errors: Vec<RowError>,
}

impl RowCheck<'_> {
    fn field<T>(&mut self, column: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        parse((self.get)(column)).map_err(|m| self.errors.push(err(self.line, Some(column), m))).ok()
    }
}

pub(crate) fn parse_row<'a>(line: u64, get: &'a dyn Fn(&str) -> &'a str) -> Result<RecordInput, Vec<RowError>> {
    let mut c = RowCheck { line, get, errors: Vec::new() };
    // Every field is parsed (so every problem is reported) before any is used.
    let record = RecordInput {
        external_id: c.field("external_id", parse_external_id).unwrap_or_default(),
        surname: c.field("surname", |s| parse_name(s, true)).unwrap_or_default(),
        given_name: c.field("given_name", |s| parse_name(s, true)).unwrap_or_default(),
        patronymic: c.field("patronymic", |s| parse_name(s, false)).unwrap_or_default(),
        sex: c.field("sex", Sex::parse).flatten(),
        birth_date: c.field("birth_date", parse_partial_date).flatten(),
        birth_place: c.field("birth_place", |s| parse_text(s, 200)).flatten(),
        region: c.field("region", |s| parse_text(s, 200)).flatten(),
        unit: c.field("unit", |s| parse_text(s, 200)).flatten(),
        rank: c.field("rank", |s| parse_text(s, 100)).flatten(),
        status: c.field("status", Status::parse).unwrap_or(Status::Captured),
        status_date: c.field("status_date", parse_partial_date).flatten(),
        status_place: c.field("status_place", |s| parse_text(s, 200)).flatten(),
        source: c.field("source", |s| parse_text(s, 500)).flatten(),
        notes: c.field("notes", |s| parse_text(s, 4000)).flatten(),
    };
    // A record is only returned when no field had a problem.
    if c.errors.is_empty() {
        Ok(record)
    } else {
        Err(c.errors)
    }
}

fn parse_external_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty; every record needs its source's identifier".into());
    }
    if s.len() > 64 {
        return Err("is longer than 64 characters".into());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{s:?} contains spaces or control characters"));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "external_id,surname,given_name,patronymic,sex,birth_date,birth_place,region,unit,rank,status,status_date,status_place,source,notes\n";

    fn parse(s: &str) -> Result<Vec<RecordInput>, CsvErrors> {
        parse_csv(s.as_bytes(), &mut |_| {})
    }

    fn only_error(s: &str) -> RowError {
        let e = parse(s).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        e.0[0].clone()
    }

    #[test]
    fn a_good_file_parses() {
        let csv = format!("{HEADER}A1,Иванов,Пётр,Сергеевич,m,1990-05-01,Тула,Тульская область,,,captured,2023-01-02,,,\nA2,ПЕТРОВА,Анна,,f,1999,,,,,deceased,,,,\n");
        let recs = parse(&csv).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].surname, "Иванов");
        assert_eq!(recs[1].birth_date.as_deref(), Some("1999"));
        assert_eq!(recs[1].status, Status::Deceased);
    }

    #[test]
    fn columns_may_come_in_any_order_and_optional_ones_may_be_absent() {
        let recs = parse("status,given_name,external_id,surname\ncaptured,Иван,X1,Сидоров\n").unwrap();
        assert_eq!(recs[0].external_id, "X1");
        assert_eq!(recs[0].patronymic, "");
    }

    #[test]
    fn unknown_column_is_refused() {
        let e = only_error("external_id,surname,given_name,status,photo\nA,Б,В,captured,x\n");
        assert_eq!(e.line, 1);
        assert_eq!(e.column.as_deref(), Some("photo"));
        assert!(e.message.contains("unknown column"));
    }

    #[test]
    fn malformed_date_names_line_and_column() {
        let e = only_error(&format!("{HEADER}A1,Иванов,Пётр,,m,05.01.1990,,,,,captured,,,,\n"));
        assert_eq!((e.line, e.column.as_deref()), (2, Some("birth_date")));
        assert!(e.message.contains("YYYY-MM-DD"));
    }

    #[test]
    fn unknown_status_is_refused() {
        let e = only_error(&format!("{HEADER}A1,Иванов,Пётр,,m,1990,,,,,missing,,,,\n"));
        assert_eq!(e.column.as_deref(), Some("status"));
        assert!(e.message.contains("captured"));
    }

    #[test]
    fn short_row_is_refused() {
        let e = only_error(&format!("{HEADER}A1,Иванов,Пётр\n"));
        assert_eq!(e.line, 2);
        assert!(e.message.contains("expected 15 fields"), "{}", e.message);
    }

    #[test]
    fn non_utf8_is_refused_with_its_line() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"A1,\xC8\xE2\xE0\xED\xEE\xE2,P,,m,1990,,,,,captured,,,,\n"); // cp1251
        let e = parse_csv(&bytes, &mut |_| {}).unwrap_err();
        assert_eq!(e.0[0].line, 2);
        assert!(e.0[0].message.contains("UTF-8"));
    }

    #[test]
    fn every_bad_row_is_reported_and_duplicates_too() {
        let csv = format!(
            "{HEADER}A1,Иванов,Пётр,,m,1990,,,,,captured,,,,\nA1,Петров,Иван,,m,1990,,,,,captured,,,,\nA3,,Иван,,x,1990,,,,,captured,,,,\n"
        );
        let e = parse(&csv).unwrap_err();
        let lines: Vec<(u64, Option<&str>)> = e.0.iter().map(|r| (r.line, r.column.as_deref())).collect();
        assert!(lines.contains(&(3, Some("external_id"))), "{e}");
        assert!(lines.contains(&(4, Some("surname"))), "{e}");
        assert!(lines.contains(&(4, Some("sex"))), "{e}");
    }

    #[test]
    fn missing_required_column_and_empty_file() {
        let e = only_error("external_id,surname,status\nA,Б,captured\n");
        assert_eq!(e.column.as_deref(), Some("given_name"));
        assert!(parse("").unwrap_err().0[0].message.contains("empty"));
    }

    #[test]
    fn quoted_fields_and_bom() {
        let csv =
            format!("\u{feff}{HEADER}A1,Иванов,Пётр,,m,1990,\"Тула, центр\",,,,captured,,,,\"заметка, с запятой\"\n");
        let recs = parse(&csv).unwrap();
        assert_eq!(recs[0].birth_place.as_deref(), Some("Тула, центр"));
    }
}
