//! The keys of one name word, computed the same way for a record's name
//! parts (at indexing and re-ranking) and for a query's words.

use serde::Serialize;

use crate::names::{patronymic_root, Dictionary, NameId};
use crate::normalize::{by_ear, plain_latin, script_of, skeleton, Script};

/// Which part of a record's name a word belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameField {
    Surname,
    GivenName,
    Patronymic,
}

/// Everything a word can be matched on.
#[derive(Debug, Clone)]
pub struct WordKeys {
    /// Lowercase, ё folded.
    pub folded: String,
    pub script: Script,
    /// Transliteration-independent key.
    pub skel: String,
    /// Plain Latin spelling, for typos in Latin queries.
    pub latin: String,
    /// By-ear key (akanye, devoicing).
    pub ear: String,
    /// Gender-neutral surname stem (Иванова → Иванов), on the skeleton.
    pub stem: String,
    /// Given-name dictionary ids the word may be a form of.
    pub given: Vec<NameId>,
    /// For a patronymic: its root and the father names it may come from.
    pub patr_root: Option<String>,
    pub fathers: Vec<NameId>,
}

/// Gender-neutral surname stem on the skeleton: -ova/-eva/-ina → -ov/-ev/-in,
/// -skaia/-ckaia (-ская, -цкая) and Ukrainian -ska → -ski, -aia → -i.
pub fn surname_stem(skel: &str) -> String {
    if let Some(base) = skel.strip_suffix("aia") {
        return format!("{base}i");
    }
    if let Some(base) = skel.strip_suffix("ska").or_else(|| skel.strip_suffix("cka")) {
        return format!("{base}{}ki", &skel[base.len()..base.len() + 1]);
    }
    for masc in ["ov", "ev", "in"] {
        if skel.len() > masc.len() + 2 && skel.ends_with(&format!("{masc}a")) {
            return skel[..skel.len() - 1].to_string();
        }
    }
    skel.to_string()
}

impl WordKeys {
    /// Keys of one already folded word.
    pub fn new(folded: &str) -> Self {
        let dict = Dictionary::global();
        let skel = skeleton(folded);
        let patr_root = patronymic_root(&skel);
        let fathers = patr_root.as_deref().map(|r| dict.father_ids(r).to_vec()).unwrap_or_default();
        WordKeys {
            folded: folded.to_string(),
            latin: plain_latin(folded),
            script: script_of(folded),
            ear: by_ear(&skel),
            stem: surname_stem(&skel),
            given: dict.given_ids(&skel).to_vec(),
            patr_root,
            fathers,
            skel,
        }
    }

    /// First letter in both scripts' terms, for matching initials.
    pub fn initial(&self) -> Option<char> {
        self.skel.chars().next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    fn stem(s: &str) -> String {
        surname_stem(&skeleton(&fold(s)))
    }

    #[test]
    fn feminine_surnames_share_the_masculine_stem() {
        assert_eq!(stem("Иванова"), stem("Иванов"));
        assert_eq!(stem("Соловьёва"), stem("Соловьев"));
        assert_eq!(stem("Ильина"), stem("Ильин"));
        assert_eq!(stem("Жуковская"), stem("Жуковский"));
        assert_eq!(stem("Ковальська"), stem("Ковальський"));
        assert_eq!(stem("Ivanova"), stem("Иванов"));
        assert_eq!(stem("Zhukovskaya"), stem("Жуковский"));
        assert_eq!(stem("Троцкая"), stem("Троцкий"));
        // Surnames that do not change keep their own stem.
        assert_eq!(stem("Коваленко"), skeleton("коваленко"));
        assert_ne!(stem("Сова"), stem("Сов"));
    }
}
