//! Properties of normalization and ranking over generated names.

use findkin_search::normalize::{fold, skeleton, words};
use findkin_search::{NameIndex, Query, RecordDoc, SearchOptions};
use proptest::prelude::*;

/// Real surnames, given names and patronymics mixed with random Cyrillic
/// words, so both dictionary and non-dictionary paths are exercised.
fn surname() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Иванов",
            "Иванова",
            "Петров",
            "Соловьёв",
            "Соловьев",
            "Щербаков",
            "Коваленко",
            "Жуковская",
            "Ким",
            "Ли"
        ])
        .prop_map(str::to_string),
        "[А-Я][а-яё]{2,9}",
    ]
}

fn given() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Александр",
            "Алексей",
            "Пётр",
            "Петр",
            "Юрий",
            "Илья",
            "Мария",
            "Иван",
            "Егор",
            "Игорь"
        ])
        .prop_map(str::to_string),
        "[А-Я][а-яё]{2,8}",
    ]
}

fn patronymic() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["Сергеевич", "Ильич", "Петрович", "Павлович", "Ивановна", ""])
            .prop_map(str::to_string),
        "[А-Я][а-я]{2,6}(ович|евич|овна)",
    ]
}

fn full_name(r: &RecordDoc) -> String {
    format!("{} {} {}", r.surname, r.given_name, r.patronymic)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn folding_is_idempotent(s in "\\PC{0,40}") {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn word_splitting_is_idempotent(s in "\\PC{0,60}") {
        let once = words(&s);
        prop_assert_eq!(words(&once.join(" ")), once);
    }

    #[test]
    fn skeleton_ignores_case_and_yo(s in "[а-яёА-ЯЁa-zA-Z]{1,14}") {
        prop_assert_eq!(skeleton(&fold(&s)), skeleton(&fold(&s.to_uppercase())));
        prop_assert_eq!(skeleton(&fold(&s)), skeleton(&fold(&s.replace('ё', "е"))));
    }

    #[test]
    fn every_record_is_found_by_its_exact_name_above_different_names(
        names in prop::collection::vec((surname(), given(), patronymic()), 2..25)
    ) {
        let idx = NameIndex::in_memory().expect("index");
        let recs: Vec<RecordDoc> = names
            .into_iter()
            .enumerate()
            .map(|(i, (s, g, p))| RecordDoc {
                id: i as u64 + 1,
                external_id: format!("P{i}"),
                surname: s,
                given_name: g,
                patronymic: p,
                ..RecordDoc::default()
            })
            .collect();
        idx.upsert(&recs).expect("upsert");
        idx.commit().expect("commit");
        for r in &recs {
            let q = Query::parse(&full_name(r), None).expect("query");
            let hits = idx.search(&q, SearchOptions { limit: 100, public_only: false }).expect("search");
            let own = hits.iter().find(|h| h.record.id == r.id);
            prop_assert!(own.is_some(), "{} not found", full_name(r));
            let own_score = own.map(|h| h.score).unwrap_or_default();
            let norm = words(&full_name(r));
            for h in &hits {
                let other = words(&full_name(&h.record));
                if other != norm {
                    prop_assert!(h.score < own_score, "{:?} ({}) not below {:?} ({})", other, h.score, norm, own_score);
                }
            }
        }
    }
}
