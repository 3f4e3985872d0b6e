//! PFIF 1.4 exchange through the real binary: the export carries the
//! public level only, an export imports into an empty registry and exports
//! again to the same persons, and a bad file imports nothing.

use std::path::Path;

use findkin_tests::{findkin, stderr, stdout};

/// Values a public-level export must never carry.
const PRIVATE: [&str; 10] = [
    "EXT-SECRET-1",
    "в/ч 99999",
    "Село Тайное",
    "Городок",
    "старшина",
    "deceased",
    "1985-03",
    "2023-06-01",
    "список-777",
    "заметка для своих",
];

fn registry() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("seed.csv");
    std::fs::write(
        &csv,
        "external_id,surname,given_name,patronymic,sex,birth_date,birth_place,region,unit,rank,status,status_date,status_place,source,notes\n\
         EXT-SECRET-1,Лаврентьев,Остап,Ильич,m,1985-03-07,Городок,Тульская область,в/ч 99999,старшина,deceased,2023-06-01,Село Тайное,список-777,заметка для своих\n\
         EXT-2,ПОДБЕРЁЗКИН,Гордей,Фомич,m,1979,,Омская область,,,captured,,,,\n\
         EXT-3,Чистякова,Вера,,f,,,,,,released,,,,\n",
    )
    .expect("seed csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn export(dir: &Path, domain: &str) -> String {
    let out = findkin(dir, &["pfif", "export", "--domain", domain]);
    assert!(out.status.success(), "export failed: {}", stderr(&out));
    stdout(&out)
}

/// Each person's lines, without those that name the registry or the
/// moment of the export, sorted: what must survive a round trip.
fn persons(xml: &str) -> Vec<String> {
    let mut out: Vec<String> = xml
        .split("<pfif:person>")
        .skip(1)
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !["person_record_id", "entry_date", "source_date", "source_name"]
                            .iter()
                            .any(|f| l.starts_with(&format!("<pfif:{f}>")))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn export_carries_only_the_public_level_and_round_trips() {
    let a = registry();
    let xml = export(a.path(), "a.example.org");
    assert!(xml.contains(r#"<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">"#), "{xml}");
    assert!(xml.contains("<pfif:full_name>Лаврентьев Остап Ильич</pfif:full_name>"), "{xml}");
    assert!(xml.contains("<pfif:family_name>Подберёзкин</pfif:family_name>"), "capitals softened: {xml}");
    assert!(xml.contains("<pfif:date_of_birth>1985</pfif:date_of_birth>"), "{xml}");
    assert!(xml.contains("<pfif:home_state>Тульская область</pfif:home_state>"), "{xml}");
    assert_eq!(xml.matches("<pfif:person_record_id>a.example.org/").count(), 3, "{xml}");
    for private in PRIVATE {
        assert!(!xml.contains(private), "{private:?} leaked into the export:\n{xml}");
    }
    for element in ["pfif:note", "pfif:sex", "pfif:photo_url", "pfif:home_city", "pfif:description"] {
        assert!(!xml.contains(element), "{element} in the export:\n{xml}");
    }

    // Into an empty registry, and out again: the same persons.
    let b = tempfile::tempdir().expect("tmp");
    let file = b.path().join("a.pfif.xml");
    std::fs::write(&file, &xml).expect("write");
    let out = findkin(b.path(), &["pfif", "import", file.to_str().unwrap_or_default(), "--status", "captured"]);
    assert!(out.status.success(), "import failed: {}", stderr(&out));
    assert!(stdout(&out).contains("3 new, 0 updated"), "{}", stdout(&out));
    let again = b.path().join("b.pfif.xml");
    let out = findkin(
        b.path(),
        &["pfif", "export", "--domain", "b.example.org", "--out", again.to_str().unwrap_or_default()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("exported 3 persons"), "{}", stdout(&out));
    let xml_b = std::fs::read_to_string(&again).expect("exported file");
    assert_eq!(persons(&xml_b), persons(&xml));
    assert_eq!(xml_b.matches("<pfif:person_record_id>b.example.org/").count(), 3, "{xml_b}");

    // Importing the same file again updates, never duplicates.
    let out = findkin(b.path(), &["pfif", "import", file.to_str().unwrap_or_default(), "--status", "captured"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("0 new, 3 updated"), "{}", stdout(&out));
    assert!(stdout(&out).contains("the registry holds 3 records"), "{}", stdout(&out));
}

#[test]
fn a_bad_file_imports_nothing_and_names_the_element() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("bad.xml");
    std::fs::write(
        &file,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.4">
  <pfif:person>
    <pfif:person_record_id>other.example.org/good</pfif:person_record_id>
    <pfif:full_name>Петров Иван</pfif:full_name>
    <pfif:given_name>Иван</pfif:given_name>
    <pfif:family_name>Петров</pfif:family_name>
  </pfif:person>
  <pfif:person>
    <pfif:person_record_id>other.example.org/bad</pfif:person_record_id>
    <pfif:full_name>Сидоров Пётр</pfif:full_name>
    <pfif:given_name>Пётр</pfif:given_name>
    <pfif:family_name>Сидоров</pfif:family_name>
    <pfif:date_of_birth>07.03.1985</pfif:date_of_birth>
  </pfif:person>
</pfif:pfif>
"#,
    )
    .expect("write");
    let out = findkin(dir.path(), &["pfif", "import", file.to_str().unwrap_or_default(), "--status", "captured"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("line 9, person 2 (other.example.org/bad), <date_of_birth>: malformed date"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(!export(dir.path(), "x.example.org").contains("<pfif:person>"), "the good person was imported");

    // An older PFIF version is refused as a whole.
    std::fs::write(&file, r#"<pfif:pfif xmlns:pfif="http://zesty.ca/pfif/1.3"><pfif:person/></pfif:pfif>"#)
        .expect("write");
    let out = findkin(dir.path(), &["pfif", "import", file.to_str().unwrap_or_default(), "--status", "captured"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("only PFIF 1.4"), "{}", stderr(&out));

    // A status the registry does not have, and a domain that is not one.
    let out = findkin(dir.path(), &["pfif", "import", file.to_str().unwrap_or_default(), "--status", "missing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("remains_repatriated"), "{}", stderr(&out));
    let out = findkin(dir.path(), &["pfif", "export", "--domain", "https://x.org/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--domain"), "{}", stderr(&out));
}
