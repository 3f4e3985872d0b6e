//! Single records for the staff console (kept by
//! [`findkin_store::record_store`]) and their CSV export.

pub use findkin_store::record_store::*;

use crate::Error;

/// Records as CSV in the import format (round-trips through `findkin import`).
pub fn to_csv(records: &[StoredRecord]) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(crate::csv_import::COLUMNS)?;
    for r in records {
        w.write_record(fields(&r.input).map(|(_, v)| v.unwrap_or_default()))?;
    }
    w.into_inner().map_err(|e| Error::Io(e.into_error()))
}
