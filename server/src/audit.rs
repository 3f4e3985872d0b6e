//! The audit log (kept by [`findkin_store::audit`]) and its CSV export.

pub use findkin_store::audit::*;

use crate::Error;

/// The log as CSV (for an admin's export).
pub fn to_csv(rows: &[AuditRow]) -> Result<Vec<u8>, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["id", "at", "actor", "action", "target_type", "target_id", "details", "address"])?;
    for r in rows {
        w.write_record([
            r.id.to_string(),
            r.at.clone(),
            r.actor_name.clone(),
            r.action.clone(),
            r.target_type.clone().unwrap_or_default(),
            r.target_id.clone().unwrap_or_default(),
            r.details.clone().unwrap_or_default(),
            r.address.clone().unwrap_or_default(),
        ])?;
    }
    w.into_inner().map_err(|e| Error::Io(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_has_a_header_and_one_line_per_row() {
        let row = AuditRow {
            id: 7,
            at: "2026-12-01T10:00:00.000Z".into(),
            actor_name: "mod1".into(),
            action: "approve".into(),
            target_type: Some("request".into()),
            target_id: Some("R-1".into()),
            details: Some("a, b".into()),
            address: None,
        };
        let csv = String::from_utf8(to_csv(&[row]).expect("csv")).expect("utf8");
        assert_eq!(
            csv,
            "id,at,actor,action,target_type,target_id,details,address\n\
             7,2026-12-01T10:00:00.000Z,mod1,approve,request,R-1,\"a, b\",\n"
        );
    }
}
