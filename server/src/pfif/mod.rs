//! PFIF 1.4 (the People Finder Interchange Format of Google Person Finder)
//! export and import, for exchanging lists with other tracing services.
//!
//! The mapping, the single disclosure level it carries and what it leaves
//! out are described in docs/ARCHITECTURE.md, "PFIF exchange":
//!
//! - [`export`] writes the **public level only**: the name parts (capitals
//!   softened, as the public sees them), the birth year and the region, under
//!   `person_record_id` = `DOMAIN/public_ref`. Never the record id, the
//!   `external_id`, sex, places, unit, rank, status, dates of capture or
//!   death, source or notes, and no PFIF notes at all.
//! - [`import`] reads persons into [`crate::records::RecordInput`]s, all
//!   checked before anything is stored; the status, which PFIF cannot carry
//!   at the registry's precision, is the operator's statement for the file.

mod dates;
pub mod export;
pub mod import;

pub use export::{export_registry, write_pfif, ExportError, ExportHeader, PublicPerson};
pub use import::{parse, PfifErrors, PfifProblem};

/// The PFIF 1.4 namespace; older versions use `…/pfif/1.1` to `…/1.3`.
pub const NAMESPACE: &str = "http://zesty.ca/pfif/1.4";

/// What every exported person of a demo registry says in `description`
/// (and what an import recognises as fictional).
pub const DEMO_MARK: &str = "DEMO — fictional person, not a real record";

/// Whether an imported record came from a demo export (its notes carry the mark).
pub fn is_demo(r: &crate::records::RecordInput) -> bool {
    r.notes.as_deref().is_some_and(|n| n.contains(DEMO_MARK))
}
