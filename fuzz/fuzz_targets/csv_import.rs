//! Registry files come from outside (staff uploads, `findkin import`): the
//! CSV parser must answer every byte string with records or row errors,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut rows = 0;
    match findkin::csv_import::parse_csv(bytes, &mut |n| rows = n) {
        Ok(records) => assert!(records.len() as u64 <= rows, "one record per data row at most"),
        Err(e) => assert!(!e.0.is_empty(), "an error names at least one problem"),
    }
});
