//! CSV exports that a spreadsheet opens as text, never as formulas.
//!
//! Exported cells hold what the public and staff typed (names, notes,
//! external ids). A cell starting with `=`, `+`, `-` or `@` (or a tab or
//! carriage return, which some programs skip before one of those) runs as a
//! formula in Excel or LibreOffice — "CSV injection". Following the OWASP
//! guidance such a cell gets a leading single quote, which spreadsheets
//! show as text; the value is otherwise unchanged.

use std::borrow::Cow;

use crate::Error;

/// The cell as a spreadsheet may safely read it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Rewrites a whole CSV document (header included) with every cell
/// neutralised, so each export passes through this one function.
pub fn neutralise_csv(csv_bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = Error::CsvWrite;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv_bytes);
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for row in reader.records() {
        writer.write_record(row.map_err(bad)?.iter().map(neutralise).map(|c| c.into_owned())).map_err(bad)?;
    }
    writer.into_inner().map_err(|e| Error::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for (cell, safe) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Иванов", "Иванов"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), safe, "{cell:?}");
        }
    }

    #[test]
    fn whole_documents_keep_their_shape() {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in [["id", "name"], ["=1+1", "O'Brien, \"Pat\""], ["2", "line\nbreak"]] {
            w.write_record(row).expect("write");
        }
        let out = neutralise_csv(&w.into_inner().expect("bytes")).expect("rewrite");
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_slice());
        let rows: Vec<Vec<String>> =
            r.records().map(|x| x.expect("row").iter().map(str::to_string).collect()).collect();
        assert_eq!(rows[1], ["'=1+1", "O'Brien, \"Pat\""]);
        assert_eq!(rows[2], ["2", "line\nbreak"]);
    }
}
