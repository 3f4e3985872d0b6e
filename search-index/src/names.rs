//! Given names and patronymics: the curated dictionary that says "Саша",
//! "Oleksandr" and "Alexander" are one name, and that "Палыч" is a son of Павел.
//!
//! The dictionary is data (`data/given_names.tsv`, see its README); this
//! module only indexes it by skeleton so any spelling of a listed form hits.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::normalize::{fold, skeleton, trim_vowels, words};

const DATA: &str = include_str!("../data/given_names.tsv");

/// Identifier of one dictionary name (its line), stable for one build.
pub type NameId = u32;

#[derive(Debug, Default)]
pub struct Dictionary {
    canonical: Vec<String>,
    /// skeleton of any listed form → names it may be.
    by_form: HashMap<String, Vec<NameId>>,
    /// vowel-trimmed patronymic root → father names it may come from.
    by_patronymic_root: HashMap<String, Vec<NameId>>,
}

fn push_unique(map: &mut HashMap<String, Vec<NameId>>, key: String, id: NameId) {
    if key.is_empty() {
        return;
    }
    let ids = map.entry(key).or_default();
    if !ids.contains(&id) {
        ids.push(id);
    }
}

/// Patronymic suffixes on the skeleton, longest first (Кузьминична before
/// -ична; Ukrainian -івна; colloquial -ич/-ыч, which share "iC").
const PATRONYMIC_SUFFIXES: &[&str] = &["iniCna", "eviC", "oviC", "evna", "ovna", "iCna", "ivna", "iC"];

/// The root of a patronymic skeleton if it carries a patronymic suffix.
pub fn patronymic_root(skel: &str) -> Option<String> {
    PATRONYMIC_SUFFIXES.iter().find_map(|suffix| {
        let root = skel.strip_suffix(suffix)?;
        let root = trim_vowels(root);
        (root.chars().count() >= 2).then(|| root.to_string())
    })
}

impl Dictionary {
    /// Parses the bundled data file; malformed lines are skipped (the file
    /// is checked by a unit test, so none should be).
    pub fn parse(data: &str) -> Self {
        let mut dict = Dictionary::default();
        for line in data.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 3 {
                continue;
            }
            let id = dict.canonical.len() as NameId;
            let male = cols[0] == "m";
            dict.canonical.push(cols[1].to_string());
            let forms = std::iter::once(cols[1]).chain(cols[2].split(',')).filter(|f| !f.is_empty());
            for form in forms {
                for w in words(form) {
                    push_unique(&mut dict.by_form, skeleton(&w), id);
                }
            }
            if male {
                let canonical = skeleton(&fold(cols[1]));
                push_unique(&mut dict.by_patronymic_root, trim_vowels(&canonical).to_string(), id);
                for p in cols.get(3).map(|c| c.split(',')).into_iter().flatten() {
                    if let Some(root) = patronymic_root(&skeleton(&fold(p))) {
                        push_unique(&mut dict.by_patronymic_root, root, id);
                    }
                }
            }
        }
        dict
    }

    pub fn global() -> &'static Dictionary {
        static DICT: OnceLock<Dictionary> = OnceLock::new();
        DICT.get_or_init(|| Dictionary::parse(DATA))
    }

    /// Names a word (given by its skeleton) may be a form of.
    pub fn given_ids(&self, skel: &str) -> &[NameId] {
        self.by_form.get(skel).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Father names a patronymic root may come from.
    pub fn father_ids(&self, root: &str) -> &[NameId] {
        self.by_patronymic_root.get(root).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn canonical(&self, id: NameId) -> Option<&str> {
        self.canonical.get(id as usize).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.canonical.len()
    }

    pub fn is_empty(&self) -> bool {
        self.canonical.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(word: &str) -> Vec<NameId> {
        Dictionary::global().given_ids(&skeleton(&fold(word))).to_vec()
    }

    fn fathers(patronymic: &str) -> Vec<NameId> {
        let root = patronymic_root(&skeleton(&fold(patronymic))).unwrap_or_default();
        Dictionary::global().father_ids(&root).to_vec()
    }

    fn shares(a: &[NameId], b: &[NameId]) -> bool {
        a.iter().any(|x| b.contains(x))
    }

    #[test]
    fn data_file_is_well_formed_and_large_enough() {
        let mut male = 0;
        let mut female = 0;
        for (n, line) in DATA.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 4, "line {}: {line:?}", n + 1);
            match cols[0] {
                "m" => male += 1,
                "f" => female += 1,
                other => panic!("line {}: sex {other:?}", n + 1),
            }
        }
        assert!(male >= 300, "{male} male names");
        assert!(female >= 100, "{female} female names");
    }

    #[test]
    fn diminutives_and_ukrainian_forms_share_an_id() {
        let alexandr = ids("Александр");
        assert!(!alexandr.is_empty());
        for v in ["Саша", "Sasha", "Шура", "Олександр", "Oleksandr", "Alexander", "Aleksandr"] {
            assert!(shares(&alexandr, &ids(v)), "{v}");
        }
        assert!(shares(&ids("Николай"), &ids("Микола")));
        assert!(shares(&ids("Евгений"), &ids("Женя")));
        assert!(shares(&ids("Дмитрий"), &ids("Dmytro")));
        assert!(!shares(&ids("Иван"), &ids("Пётр")));
    }

    #[test]
    fn patronymic_forms_find_the_father() {
        let sergei = ids("Сергей");
        for p in ["Сергеевич", "Сергеевна", "Сергеич", "Sergeyevich", "Sergeevich", "Сергійович"]
        {
            assert!(shares(&sergei, &fathers(p)), "{p}");
        }
        assert!(shares(&ids("Павел"), &fathers("Палыч")));
        assert!(shares(&ids("Павел"), &fathers("Павлович")));
        assert!(shares(&ids("Илья"), &fathers("Ильич")));
        assert!(shares(&ids("Никита"), &fathers("Никитична")));
        assert!(shares(&ids("Алексей"), &fathers("Олексійович")));
        assert!(!shares(&ids("Пётр"), &fathers("Павлович")));
    }
}
