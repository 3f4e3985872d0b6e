//! Three-way merge of a record edit: what the editor started from (the
//! base values the form carried), what they submitted, and what is stored
//! now. Only fields the editor actually changed are written, so a save made
//! on a stale form can never put back a value someone else has replaced.

use crate::record_store::fields;
use crate::records::RecordInput;

/// One field's value as `fields()` gives it: `None` is empty.
pub type Value = Option<String>;

/// What a save does with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMerge {
    /// The submitted value is what is stored already: nothing to do.
    Same,
    /// Only this editor changed it: their value is written.
    Yours,
    /// Only someone else changed it since the form was opened: the stored
    /// value stays (the editor's stale copy is not a change).
    Theirs,
    /// Both changed it to different values (or the base is unknown): a
    /// person has to decide, so nothing is written.
    Conflict,
}

/// The rule for one field, given the value the editor started from, the
/// one they submitted, and the one stored now.
pub fn merge_field(base: Option<&str>, yours: Option<&str>, stored: Option<&str>) -> FieldMerge {
    if yours == stored {
        FieldMerge::Same
    } else if yours == base {
        FieldMerge::Theirs
    } else if stored == base {
        FieldMerge::Yours
    } else {
        FieldMerge::Conflict
    }
}

/// The decision for every field, in `fields()` order. `base` holds the
/// values the form was opened with, by field name; a field missing from it
/// has an unknown base, and any difference there counts as a conflict
/// (the safe side: nothing is overwritten without someone deciding).
pub fn plan(base: &[(&str, Value)], yours: &RecordInput, stored: &RecordInput) -> Vec<(&'static str, FieldMerge)> {
    fields(yours)
        .into_iter()
        .zip(fields(stored))
        .map(|((name, y), (_, s))| {
            let decision = match base.iter().find(|(n, _)| *n == name) {
                Some((_, b)) => merge_field(b.as_deref(), y.as_deref(), s.as_deref()),
                None if y == s => FieldMerge::Same,
                None => FieldMerge::Conflict,
            };
            (name, decision)
        })
        .collect()
}

/// The names of the fields a plan marks with `kind`.
pub fn with(plan: &[(&'static str, FieldMerge)], kind: FieldMerge) -> Vec<&'static str> {
    plan.iter().filter(|(_, k)| *k == kind).map(|(n, _)| *n).collect()
}

/// The stored record with the editor's own changes applied (fields marked
/// `Yours`); every other field keeps its stored value, conflicts included.
pub fn apply(plan: &[(&'static str, FieldMerge)], yours: &RecordInput, stored: &RecordInput) -> RecordInput {
    let mut out = stored.clone();
    for (name, kind) in plan {
        if *kind == FieldMerge::Yours {
            copy_field(&mut out, yours, name);
        }
    }
    out
}

/// Copies one named field from `src` into `dst`.
fn copy_field(dst: &mut RecordInput, src: &RecordInput, name: &str) {
    match name {
        "external_id" => dst.external_id.clone_from(&src.external_id),
        "surname" => dst.surname.clone_from(&src.surname),
        "given_name" => dst.given_name.clone_from(&src.given_name),
        "patronymic" => dst.patronymic.clone_from(&src.patronymic),
        "sex" => dst.sex = src.sex,
        "birth_date" => dst.birth_date.clone_from(&src.birth_date),
        "birth_place" => dst.birth_place.clone_from(&src.birth_place),
        "region" => dst.region.clone_from(&src.region),
        "unit" => dst.unit.clone_from(&src.unit),
        "rank" => dst.rank.clone_from(&src.rank),
        "status" => dst.status = src.status,
        "status_date" => dst.status_date.clone_from(&src.status_date),
        "status_place" => dst.status_place.clone_from(&src.status_place),
        "source" => dst.source.clone_from(&src.source),
        "notes" => dst.notes.clone_from(&src.notes),
        _ => {}
    }
}

/// A base value as a browser sends it back from a hidden field: line
/// breaks come back as CRLF, and an empty field means no value.
pub fn base_value(raw: &str) -> Value {
    let v = raw.replace("\r\n", "\n");
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Sex, Status};

    fn record() -> RecordInput {
        RecordInput {
            external_id: "S2".into(),
            surname: "Подберёзкин".into(),
            given_name: "Гордей".into(),
            patronymic: "Фомич".into(),
            sex: Some(Sex::Male),
            birth_date: Some("1985".into()),
            birth_place: None,
            region: Some("Омская область".into()),
            unit: None,
            rank: None,
            status: Status::Deceased,
            status_date: None,
            status_place: None,
            source: None,
            notes: None,
        }
    }

    fn base_of(r: &RecordInput) -> Vec<(&'static str, Value)> {
        fields(r).into_iter().collect()
    }

    #[test]
    fn the_rule_for_one_field() {
        use FieldMerge::*;
        let (a, b, c) = (Some("a"), Some("b"), Some("c"));
        assert_eq!(merge_field(a, a, a), Same);
        assert_eq!(merge_field(a, b, a), Yours, "only I changed it");
        assert_eq!(merge_field(a, a, b), Theirs, "only they changed it: my stale copy is no change");
        assert_eq!(merge_field(a, b, b), Same, "we both made the same change");
        assert_eq!(merge_field(a, b, c), Conflict, "we changed it differently");
        assert_eq!(merge_field(None, b, None), Yours, "filling an empty field");
        assert_eq!(merge_field(a, None, a), Yours, "clearing a field");
        assert_eq!(merge_field(a, None, b), Conflict, "clearing what they changed");
        assert_eq!(merge_field(None, b, c), Conflict, "both filled an empty field differently");
    }

    #[test]
    fn edits_to_different_fields_merge() {
        let base = record();
        let mut theirs = base.clone();
        theirs.given_name = "Гордей-Первый".into();
        let mut mine = base.clone();
        mine.region = Some("Тульская область".into());
        let plan = plan(&base_of(&base), &mine, &theirs);
        assert!(with(&plan, FieldMerge::Conflict).is_empty());
        assert_eq!(with(&plan, FieldMerge::Yours), ["region"]);
        assert_eq!(with(&plan, FieldMerge::Theirs), ["given_name"]);
        let merged = apply(&plan, &mine, &theirs);
        assert_eq!(merged.given_name, "Гордей-Первый", "their change survives my stale copy");
        assert_eq!(merged.region.as_deref(), Some("Тульская область"), "my change is saved");
        assert_eq!(merged.status, Status::Deceased);
    }

    #[test]
    fn the_same_field_changed_twice_is_a_conflict_and_nothing_of_it_is_applied() {
        let base = record();
        let mut theirs = base.clone();
        theirs.status = Status::Released;
        let mut mine = base.clone();
        mine.status = Status::Captured;
        mine.unit = Some("в/ч 1".into());
        let plan = plan(&base_of(&base), &mine, &theirs);
        assert_eq!(with(&plan, FieldMerge::Conflict), ["status"]);
        assert_eq!(with(&plan, FieldMerge::Yours), ["unit"]);
        assert_eq!(apply(&plan, &mine, &theirs).status, Status::Released, "a conflict keeps the stored value");
    }

    #[test]
    fn an_unknown_base_makes_every_difference_a_conflict() {
        let stored = record();
        let mut mine = stored.clone();
        mine.surname = "Иванов".into();
        let plan = plan(&[], &mine, &stored);
        assert_eq!(with(&plan, FieldMerge::Conflict), ["surname"]);
        assert_eq!(with(&plan, FieldMerge::Same).len(), 14);
    }

    #[test]
    fn base_values_come_back_as_the_browser_sends_them() {
        assert_eq!(base_value(""), None);
        assert_eq!(base_value("  "), None);
        assert_eq!(base_value("строка 1\r\nстрока 2").as_deref(), Some("строка 1\nстрока 2"));
        assert_eq!(base_value("m").as_deref(), Some("m"));
    }
}
