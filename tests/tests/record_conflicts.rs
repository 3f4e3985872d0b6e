//! Two editors on one record (issue 10, point 6): a save made on a stale
//! form merges with what others saved meanwhile, never puts back a value a
//! colleague replaced, and only a field both changed differently stops it —
//! with a page showing what you started from, yours and theirs, and a form
//! based on the current version.
//!
//! The forms are read from the served HTML and posted back whole, hidden
//! fields included, as a browser would.

use findkin_tests::staff::{between, first_login, text, Staff};
use findkin_tests::{staff_registry, Server};
use reqwest::StatusCode;

/// The name/value pairs a browser submits from the record form in `html`.
fn form_fields(html: &str) -> Vec<(String, String)> {
    findkin_tests::staff::form_fields(html, "/staff/records/")
}

fn get<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn set(form: &mut [(String, String)], name: &str, value: &str) {
    let slot = form.iter_mut().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no field {name} in the form"));
    slot.1 = value.to_string();
}

/// A browser sends line breaks as CRLF.
fn as_browser_sends(form: &[(String, String)]) -> Vec<(String, String)> {
    form.iter().map(|(k, v)| (k.clone(), v.replace("\r\n", "\n").replace('\n', "\r\n"))).collect()
}

struct Saved {
    status: StatusCode,
    location: String,
    body: String,
}

async fn save(s: &Server, who: &Staff, id: i64, form: &[(String, String)]) -> Saved {
    let r =
        who.c.post(s.url(&format!("/staff/records/{id}"))).form(&as_browser_sends(form)).send().await.expect("POST");
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    Saved { status: r.status(), location, body: r.text().await.unwrap_or_default() }
}

async fn open_form(s: &Server, who: &Staff, id: i64) -> Vec<(String, String)> {
    let (st, html) = text(&who.c, &s.url(&format!("/staff/records/{id}/edit"))).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    form_fields(&html)
}

/// The record page split in its current fields and its history.
async fn record(s: &Server, who: &Staff, id: i64) -> (String, String) {
    let (st, page) = text(&who.c, &s.url(&format!("/staff/records/{id}"))).await;
    assert_eq!(st, StatusCode::OK);
    let (fields, history) = page.split_once("id=\"history\"").expect("history section");
    (fields.to_string(), history.to_string())
}

/// The `<div class="field …">` of one form field on a page.
fn field_block<'a>(html: &'a str, name: &str) -> &'a str {
    let label = format!("<label for=\"{name}\"");
    let at = html.find(&label).unwrap_or_else(|| panic!("no field {name}"));
    let start = html[..at].rfind("<div class=\"field").unwrap_or(at);
    let end = html[at..].find("</div>").map_or(html.len(), |i| at + i);
    &html[start..end]
}

async fn two_editors(names: [&str; 2]) -> (tempfile::TempDir, Server, Staff, Staff) {
    let (dir, creds) = staff_registry(&[(names[0], "editor"), (names[1], "editor")]);
    let s = Server::start(dir.path(), &[]);
    let a = first_login(&s, &creds[0].0, &creds[0].1).await;
    let b = first_login(&s, &creds[1].0, &creds[1].1).await;
    (dir, s, a, b)
}

#[tokio::test]
async fn edits_to_different_fields_by_two_editors_are_both_kept() {
    let (_dir, s, a, b) = two_editors(["edA1", "edB1"]).await;
    let mut form_a = open_form(&s, &a, 2).await;
    let mut form_b = open_form(&s, &b, 2).await;

    set(&mut form_a, "given_name", "Гордей-Первый");
    let r = save(&s, &a, 2, &form_a).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // B's form is stale (version 1, given name «Гордей»); B changes another field.
    set(&mut form_b, "region", "Тульская область");
    let r = save(&s, &b, 2, &form_b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "B's save is merged, not refused: {}", r.body);
    assert!(r.location.contains("ok=staff.notice.merged"), "B is told it was merged: {}", r.location);

    let (fields, history) = record(&s, &b, 2).await;
    assert!(fields.contains("Гордей-Первый"), "A's change survives B's stale form: {fields}");
    assert!(fields.contains("Тульская область") && !fields.contains("Омская область"), "B's change is saved");
    assert!(fields.contains("Версия 3,"), "one version per save: {fields}");
    assert!(history.contains("edA1") && history.contains("edB1"), "{history}");
    let (_, page) = text(&b.c, &s.url("/staff/records/2?ok=staff.notice.merged")).await;
    assert!(page.contains("коллега изменил другие поля"), "the merge is said in words");
}

#[tokio::test]
async fn the_same_field_changed_twice_shows_both_and_a_form_on_the_current_version() {
    let (_dir, s, a, b) = two_editors(["edA2", "edB2"]).await;
    let mut form_a = open_form(&s, &a, 2).await;
    let mut form_b = open_form(&s, &b, 2).await;

    set(&mut form_a, "given_name", "Гордей-Первый");
    set(&mut form_a, "birth_date", "1985-03");
    let r = save(&s, &a, 2, &form_a).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    set(&mut form_b, "given_name", "Гордей-Второй");
    set(&mut form_b, "unit", "в/ч 12345");
    let r = save(&s, &b, 2, &form_b).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let page = r.body;

    // Field by field: what B started from, what B typed, what A stored and who.
    let table = between(&page, "<table class=\"conflict-table\">", "</table>").expect("conflict table");
    let row = between(table, "<tr class=\"conflict-row conflict\">", "</tr>").expect("the colliding field's row");
    assert!(row.contains("#given_name"), "{row}");
    assert!(row.contains("<td class=\"base\">Гордей</td>"), "what B started from: {row}");
    assert!(row.contains("<td class=\"yours\">Гордей-Второй</td>"), "B's value: {row}");
    assert!(row.contains("Гордей-Первый") && row.contains("edA2"), "A's value and who saved it: {row}");
    let theirs_row = between(table, "<tr class=\"conflict-row theirs\">", "</tr>").expect("A's other change");
    assert!(theirs_row.contains("1985-03") && theirs_row.contains("edA2"), "{theirs_row}");
    let mine_row = between(table, "<tr class=\"conflict-row mine\">", "</tr>").expect("B's other change");
    assert!(mine_row.contains("в/ч 12345"), "{mine_row}");

    // The form starts from the current version, with B's edits filled in
    // only where they don't collide, and the collision marked.
    let retry = form_fields(&page);
    assert_eq!(get(&retry, "version"), "2", "based on the current version");
    assert_eq!(get(&retry, "base_given_name"), "Гордей-Первый", "the new base is what is stored now");
    assert_eq!(get(&retry, "given_name"), "Гордей-Первый", "a collision starts from the stored value");
    assert_eq!(get(&retry, "birth_date"), "1985-03", "A's other change is kept");
    assert_eq!(get(&retry, "unit"), "в/ч 12345", "B's non-colliding edit is pre-filled");
    let block = field_block(&page, "given_name");
    assert!(block.contains("marked conflict"), "{block}");
    assert!(block.contains("ваше: «Гордей-Второй»"), "B's value beside the field: {block}");
    assert!(field_block(&page, "unit").contains("marked mine"));
    assert!(!field_block(&page, "surname").contains("marked"), "untouched fields are not marked");

    // Nothing was written by the refused save.
    let (fields, _) = record(&s, &b, 2).await;
    assert!(fields.contains("Гордей-Первый") && !fields.contains("в/ч 12345"), "{fields}");

    // B decides for their own name, on purpose, and saves from that page.
    let mut retry = retry;
    set(&mut retry, "given_name", "Гордей-Второй");
    let r = save(&s, &b, 2, &retry).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (fields, history) = record(&s, &b, 2).await;
    assert!(fields.contains("Гордей-Второй") && fields.contains("в/ч 12345") && fields.contains("1985-03"), "{fields}");
    assert!(
        history.contains("edA2") && history.contains("edB2") && history.contains("Гордей-Первый"),
        "both saves are in the history: {history}"
    );
}

#[tokio::test]
async fn saving_the_conflict_page_as_it_is_keeps_the_colleagues_value() {
    let (_dir, s, a, b) = two_editors(["edA3", "edB3"]).await;
    let mut form_a = open_form(&s, &a, 1).await;
    let mut form_b = open_form(&s, &b, 1).await;
    set(&mut form_a, "status", "released");
    assert_eq!(save(&s, &a, 1, &form_a).await.status, StatusCode::SEE_OTHER);

    set(&mut form_b, "status", "deceased");
    set(&mut form_b, "rank", "рядовой");
    let r = save(&s, &b, 1, &form_b).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // One more press of "save" without deciding: A's status stays, B's rank is saved.
    let r = save(&s, &b, 1, &form_fields(&r.body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (fields, _) = record(&s, &b, 1).await;
    assert!(fields.contains("освобождён") || fields.contains("освобожден"), "A's status is not reverted: {fields}");
    assert!(!fields.contains("погиб"), "{fields}");
    assert!(fields.contains("рядовой"), "{fields}");
}

#[tokio::test]
async fn a_stale_form_never_reverts_a_field_it_did_not_touch() {
    let (_dir, s, a, b) = two_editors(["edA4", "edB4"]).await;
    let mut form_a = open_form(&s, &a, 1).await;
    let mut form_b = open_form(&s, &b, 1).await;
    assert_eq!(get(&form_b, "notes"), "демо");

    // A clears one field and writes two lines in another.
    set(&mut form_a, "birth_date", "");
    set(&mut form_a, "notes", "список обмена\nот 2024-05-01");
    let r = save(&s, &a, 1, &form_a).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // B's stale form still holds the birth date and «демо»; B changes only the unit.
    set(&mut form_b, "unit", "в/ч 777");
    let r = save(&s, &b, 1, &form_b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (fields, _) = record(&s, &b, 1).await;
    assert!(!fields.contains("1990-01-02"), "A's cleared field stays cleared: {fields}");
    assert!(!fields.contains("демо") && fields.contains("список обмена"), "A's notes stay: {fields}");
    assert!(fields.contains("в/ч 777"), "B's change is saved: {fields}");

    // A form opened now carries the two-line notes as their base; a browser
    // sends them back with CRLF, and that is still "unchanged".
    let mut form_b = open_form(&s, &b, 1).await;
    assert_eq!(get(&form_b, "base_notes"), "список обмена\nот 2024-05-01");
    let mut form_a = open_form(&s, &a, 1).await;
    set(&mut form_a, "rank", "сержант");
    assert_eq!(save(&s, &a, 1, &form_a).await.status, StatusCode::SEE_OTHER);
    set(&mut form_b, "status_place", "Курск");
    let r = save(&s, &b, 1, &form_b).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (fields, _) = record(&s, &b, 1).await;
    assert!(fields.contains("сержант") && fields.contains("Курск") && fields.contains("от 2024-05-01"), "{fields}");

    // A typing error on a stale form keeps the version and base it was
    // opened with, so the corrected save still merges instead of reverting.
    let mut form_b = open_form(&s, &b, 3).await;
    let mut form_a = open_form(&s, &a, 3).await;
    set(&mut form_a, "region", "Новосибирская область");
    assert_eq!(save(&s, &a, 3, &form_a).await.status, StatusCode::SEE_OTHER);
    set(&mut form_b, "status_date", "31.02.2024");
    let r = save(&s, &b, 3, &form_b).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut again = form_fields(&r.body);
    assert_eq!(get(&again, "version"), get(&form_b, "version"));
    assert_eq!(get(&again, "base_region"), "Тульская область", "the base is still what B opened");
    set(&mut again, "status_date", "2024-02");
    let r = save(&s, &b, 3, &again).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (fields, _) = record(&s, &b, 3).await;
    assert!(fields.contains("Новосибирская область") && fields.contains("2024-02"), "{fields}");

    // A form that changes nothing writes nothing.
    let form = open_form(&s, &a, 1).await;
    let version = get(&form, "version").to_string();
    let r = save(&s, &a, 1, &form).await;
    assert!(r.location.contains("staff.notice.unchanged"), "{}", r.location);
    assert_eq!(get(&open_form(&s, &a, 1).await, "version"), version, "no new version");
}
