//! Writing the registry as PFIF 1.4, at the public disclosure level.

use std::io::Write;

use quick_xml::escape::escape;
use time::OffsetDateTime;

use super::{dates, DEMO_MARK, NAMESPACE};
use crate::backend::display_name;
use crate::records::RecordInput;
use crate::store::Store;

/// What the public may see of a record (the public search line): name
/// parts as shown, birth year, region, and the opaque public handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicPerson {
    pub public_ref: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_year: Option<String>,
    pub region: Option<String>,
}

impl PublicPerson {
    /// The public projection of a record; nothing else of it is kept.
    pub fn from_record(public_ref: &str, r: &RecordInput) -> Self {
        PublicPerson {
            public_ref: public_ref.to_string(),
            surname: display_name(&r.surname),
            given_name: display_name(&r.given_name),
            patronymic: display_name(&r.patronymic),
            birth_year: r.birth_date.as_deref().and_then(|d| d.get(..4)).map(str::to_string),
            region: r.region.clone(),
        }
    }

    /// Surname, given name, patronymic: the order of the registry's lists.
    pub fn full_name(&self) -> String {
        [&self.surname, &self.given_name, &self.patronymic]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The file-wide part of an export.
#[derive(Debug, Clone)]
pub struct ExportHeader {
    /// This registry's domain: `person_record_id` is `DOMAIN/public_ref`.
    pub domain: String,
    /// The registry holds fictional demo data: every person says so.
    pub demo: bool,
    /// Written as every person's `entry_date` and `source_date`, so the
    /// file does not tell when a record was created or last edited.
    pub at: OffsetDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("bad domain {0:?}: {1}")]
    Domain(String, &'static str),
    #[error("cannot write the PFIF file: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the registry: {0}")]
    Registry(#[from] crate::Error),
    #[error("cannot read the registry: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("record {0} has no public reference; run the migrations (start the server once) and try again")]
    NoPublicRef(i64),
}

/// Checks the domain that prefixes every `person_record_id`: a host name
/// (letters, digits, dots, hyphens), short enough that the whole id stays
/// within the 64 characters of an `external_id` where it is imported.
pub fn check_domain(domain: &str) -> Result<(), ExportError> {
    let bad = |why| Err(ExportError::Domain(domain.to_string(), why));
    if domain.is_empty() {
        return bad("it is empty; give this registry's host name, e.g. findkin.example.org");
    }
    if domain.len() > 40 {
        return bad("it is longer than 40 characters");
    }
    if !domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return bad("only lower-case letters, digits, dots and hyphens are allowed (a host name, no scheme or path)");
    }
    if domain.starts_with(['.', '-']) || domain.ends_with(['.', '-']) || domain.contains("..") {
        return bad("it is not a host name");
    }
    Ok(())
}

fn field(out: &mut dyn Write, indent: &str, name: &str, value: &str) -> std::io::Result<()> {
    writeln!(out, "{indent}<pfif:{name}>{}</pfif:{name}>", escape(value))
}

fn write_head(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<pfif:pfif xmlns:pfif="{NAMESPACE}">"#)
}

fn write_tail(out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "</pfif:pfif>")
}

/// One `<pfif:person>`, in the element order of the PFIF 1.4 schema.
fn write_person(out: &mut dyn Write, h: &ExportHeader, at: &str, p: &PublicPerson) -> std::io::Result<()> {
    let i = "    ";
    writeln!(out, "  <pfif:person>")?;
    field(out, i, "person_record_id", &format!("{}/{}", h.domain, p.public_ref))?;
    field(out, i, "entry_date", at)?;
    field(out, i, "author_name", "findkin")?;
    let source = if h.demo { format!("findkin DEMO at {} (fictional people)", h.domain) } else { h.domain.clone() };
    field(out, i, "source_name", &source)?;
    field(out, i, "source_date", at)?;
    field(out, i, "full_name", &p.full_name())?;
    field(out, i, "given_name", &p.given_name)?;
    field(out, i, "family_name", &p.surname)?;
    if h.demo {
        field(out, i, "description", DEMO_MARK)?;
    }
    if let Some(y) = &p.birth_year {
        field(out, i, "date_of_birth", y)?;
    }
    if let Some(r) = &p.region {
        field(out, i, "home_state", r)?;
    }
    writeln!(out, "  </pfif:person>")
}

/// Writes a whole PFIF document of these persons; returns how many.
pub fn write_pfif<'a>(
    out: &mut dyn Write,
    h: &ExportHeader,
    persons: impl IntoIterator<Item = &'a PublicPerson>,
) -> Result<u64, ExportError> {
    check_domain(&h.domain)?;
    let at = dates::format(h.at);
    write_head(out)?;
    let mut n = 0;
    for p in persons {
        write_person(out, h, &at, p)?;
        n += 1;
    }
    write_tail(out)?;
    Ok(n)
}

/// Records read per query while exporting.
const PAGE: i64 = 5_000;

/// Streams the whole registry as PFIF, page by page; `progress` gets the
/// number of persons written. Demo registries (`meta.demo`) are marked.
pub async fn export_registry(
    store: &Store,
    domain: &str,
    at: OffsetDateTime,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ExportError> {
    check_domain(domain)?;
    let demo = store.meta("demo").await?.as_deref() == Some("1");
    let h = ExportHeader { domain: domain.to_string(), demo, at };
    let at = dates::format(at);
    write_head(out)?;
    let (mut after, mut n) = (0i64, 0u64);
    loop {
        // Only the public columns are read: nothing else can leak into the file.
        let rows = store.public_columns_page(after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        for r in rows {
            let public_ref = r.public_ref.ok_or(ExportError::NoPublicRef(r.id))?;
            let p = PublicPerson {
                public_ref,
                surname: display_name(&r.surname),
                given_name: display_name(&r.given_name),
                patronymic: display_name(&r.patronymic),
                birth_year: r.birth_date.as_deref().and_then(|d| d.get(..4)).map(str::to_string),
                region: r.region,
            };
            write_person(out, &h, &at, &p)?;
            n += 1;
        }
        progress(n);
    }
    write_tail(out)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Sex, Status};

    pub(crate) fn record() -> RecordInput {
        RecordInput {
            external_id: "SECRET-EXT-1".into(),
            surname: "ИВАНОВ".into(),
            given_name: "Пётр".into(),
            patronymic: "Сергеевич".into(),
            sex: Some(Sex::Male),
            birth_date: Some("1990-05-13".into()),
            birth_place: Some("Тула".into()),
            region: Some("Тульская область".into()),
            unit: Some("в/ч 12345".into()),
            rank: Some("сержант".into()),
            status: Status::Deceased,
            status_date: Some("2023-04-07".into()),
            status_place: Some("Луганская обл.".into()),
            source: Some("список №363".into()),
            notes: Some("staff note".into()),
        }
    }

    fn header(demo: bool) -> ExportHeader {
        ExportHeader {
            domain: "findkin.example.org".into(),
            demo,
            at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }
    }

    fn xml(demo: bool) -> String {
        let mut out = Vec::new();
        let p = PublicPerson::from_record("0123456789abcdef", &record());
        write_pfif(&mut out, &header(demo), [&p]).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn only_the_public_level_is_written() {
        let x = xml(false);
        assert!(x.contains("<pfif:person_record_id>findkin.example.org/0123456789abcdef</pfif:person_record_id>"));
        assert!(x.contains("<pfif:full_name>Иванов Пётр Сергеевич</pfif:full_name>"), "{x}");
        assert!(x.contains("<pfif:family_name>Иванов</pfif:family_name>"));
        assert!(x.contains("<pfif:date_of_birth>1990</pfif:date_of_birth>"));
        assert!(x.contains("<pfif:home_state>Тульская область</pfif:home_state>"));
        assert!(x.contains("<pfif:entry_date>2023-11-14T22:13:20Z</pfif:entry_date>"));
        for private in [
            "SECRET-EXT-1",
            "1990-05",
            "Тула<",
            "в/ч",
            "сержант",
            "deceased",
            "believed",
            "2023-04-07",
            "Луганская",
            "список",
            "staff note",
            "pfif:note",
            "pfif:sex",
            "DEMO",
        ] {
            assert!(!x.contains(private), "{private} leaked:\n{x}");
        }
    }

    #[test]
    fn demo_registries_are_marked() {
        let x = xml(true);
        assert!(x.contains(&format!("<pfif:description>{DEMO_MARK}</pfif:description>")));
        assert!(x.contains("<pfif:source_name>findkin DEMO at findkin.example.org (fictional people)"));
    }

    #[test]
    fn text_is_escaped() {
        let mut r = record();
        r.region = Some("<b>&\"".into());
        let mut out = Vec::new();
        write_pfif(&mut out, &header(false), [&PublicPerson::from_record("x", &r)]).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("&lt;b&gt;&amp;&quot;"));
    }

    #[test]
    fn domains_are_host_names() {
        for ok in ["findkin.example.org", "localhost", "a-b.c1"] {
            assert!(check_domain(ok).is_ok(), "{ok}");
        }
        for bad in ["", "https://x.org", "x.org/", "X.org", "a..b", ".a", &"a".repeat(41), "a b"] {
            assert!(matches!(check_domain(bad), Err(ExportError::Domain(..))), "{bad}");
        }
    }
}
