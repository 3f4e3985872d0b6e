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

    /// The keys this word is paired by when it is a record's `field`
    /// (see [`pair_term`]): its by-ear key (and its plain Latin spelling's,
    /// where that differs), and the surname stem or the dictionary names
    /// the field is indexed by. Every key that finds a record's word,
    /// except an initial, maps to one of them ([`PairKey`]).
    pub fn pair_keys(&self, field: NameField) -> Vec<String> {
        let mut keys = vec![ear_pair_key(&self.ear)];
        // Read back from its plain Latin spelling, a word may be heard
        // otherwise: that hearing is kept apart, so that an `e` key always
        // means the word's own by-ear key.
        let heard = heard(&self.latin);
        if heard != self.ear {
            keys.push(latin_pair_key(&heard));
        }
        match field {
            NameField::Surname => keys.push(stem_pair_key(&self.stem)),
            NameField::GivenName => keys.extend(self.given.iter().map(|id| given_term(*id))),
            NameField::Patronymic => {
                keys.extend(self.fathers.iter().map(|id| father_term(*id)));
                keys.extend(self.patr_root.as_deref().map(root_term));
            }
        }
        keys
    }
}

/// The by-ear key of letters: how a record word holding them is heard.
fn heard(letters: &str) -> String {
    by_ear(&skeleton(letters))
}

/// The pair key of a word's own by-ear key. A record's pair keys and those
/// a query's terms map to ([`PairKey::keys_of`]) are spelled by these
/// three alone, so that the two cannot drift apart.
fn ear_pair_key(ear: &str) -> String {
    format!("e{ear}")
}

/// The pair key of how a word's plain Latin spelling is heard, where that
/// differs from its own by-ear key.
fn latin_pair_key(heard: &str) -> String {
    format!("l{heard}")
}

/// The pair key of a surname's stem.
fn stem_pair_key(stem: &str) -> String {
    format!("s{stem}")
}

/// The `k_given` term of a dictionary name.
pub fn given_term(id: NameId) -> String {
    format!("g{id}")
}

/// The `k_father` term of a father's dictionary name.
pub fn father_term(id: NameId) -> String {
    format!("f{id}")
}

/// The `k_father` term of a patronymic's root.
pub fn root_term(root: &str) -> String {
    format!("r{root}")
}

/// How a term of one key field maps to the pair key of the record word
/// that holds it. A record word with the letters `x` has the skeleton
/// `skeleton(x)`, and one with the skeleton `s` the by-ear key `by_ear(s)`,
/// so a term found by distance maps as well as the word's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKey {
    /// A `k_ear` term: the by-ear key itself.
    Ear,
    /// A `k_skel` term: the by-ear key of that skeleton.
    EarOfSkeleton,
    /// A `k_exact` term: the by-ear key of those letters.
    EarOfLetters,
    /// A `k_latin` term: the by-ear key of those letters, or the hearing
    /// of a plain Latin spelling kept apart (see [`WordKeys::pair_keys`]).
    EarOfLatin,
    /// A `k_stem` term.
    Stem,
    /// A `k_given` or `k_father` term, already distinct from the others.
    Same,
    /// An initial: not paired.
    Unpaired,
}

impl PairKey {
    /// The pair keys a record word holding term `text` of this kind has
    /// one of, into `keys`.
    pub fn keys_of(self, text: &str, keys: &mut Vec<String>) {
        match self {
            PairKey::Ear => keys.push(ear_pair_key(text)),
            PairKey::EarOfSkeleton => keys.push(ear_pair_key(&by_ear(text))),
            PairKey::EarOfLetters => keys.push(ear_pair_key(&heard(text))),
            PairKey::EarOfLatin => {
                let heard = heard(text);
                keys.push(latin_pair_key(&heard));
                keys.push(ear_pair_key(&heard));
            }
            PairKey::Stem => keys.push(stem_pair_key(text)),
            PairKey::Same | PairKey::Unpaired => keys.push(text.to_string()),
        }
    }

    pub fn is_paired(self) -> bool {
        self != PairKey::Unpaired
    }

    /// Whether a record with the pair key holds the term itself (its own
    /// by-ear key, stem or dictionary name), not only one heard alike.
    pub fn is_exact(self) -> bool {
        matches!(self, PairKey::Ear | PairKey::Stem | PairKey::Same)
    }
}

/// The `k_pair` term of two pair keys, the same in either order. A record
/// holds one for every two of its words' keys, a word with itself too (two
/// query words may both be forms of one record word), so the records that
/// hold two common words are read from one short list.
pub fn pair_term(a: &str, b: &str) -> String {
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    format!("{a} {b}")
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
