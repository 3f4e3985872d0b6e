//! Parsing what a relative typed into query words, each with the spellings
//! it may stand for (as typed, or undone from the wrong keyboard layout).

use crate::declension::{is_request_word, nominatives};
use crate::keys::WordKeys;
use crate::layout::{cyrillic_keys_to_latin, cyrillic_readings};
use crate::normalize::{cyrillic_plausibility, fold, latin_plausibility, script_of, words, Script};
use crate::spelling::{french_reading, j_as_zh, looks_french, x_as_kh};
use crate::SearchError;

/// Longest query accepted, in characters: a full name with spaces is far shorter.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most name words in one query (double surname + given name + patronymic + spare).
pub const MAX_QUERY_WORDS: usize = 6;
/// Birth years the registry can hold.
pub const BIRTH_YEARS: std::ops::RangeInclusive<u16> = 1900..=2030;

/// One spelling a query word may stand for.
#[derive(Debug, Clone)]
pub struct WordForm {
    pub keys: WordKeys,
    /// 1.0 for the word as typed; lower for a less plausible reading.
    pub weight: f32,
    pub layout_fixed: bool,
    /// A single letter, perhaps with a dot: matches first letters only.
    pub is_initial: bool,
    /// A nominative this word may be a case form of (Сергея → Сергей): it
    /// matches only letter for letter, never by distance.
    pub declined: bool,
}

/// One word of the query.
#[derive(Debug, Clone)]
pub struct QueryWord {
    /// As typed, folded (for explanations).
    pub typed: String,
    pub forms: Vec<WordForm>,
}

/// A parsed, validated query.
#[derive(Debug, Clone)]
pub struct Query {
    pub words: Vec<QueryWord>,
    /// Words set aside as not part of the name ("ищу", "сына", "рядовой"),
    /// folded, for the explanation.
    pub set_aside: Vec<String>,
    /// Filter: records born that year or with no known birth date.
    pub birth_year: Option<u16>,
    /// Ranking only: a matching region raises a hit.
    pub region: Option<String>,
    /// Ranking only: a full date (`YYYY-MM-DD`) that agrees raises a hit,
    /// one that conflicts lowers it.
    pub birth_date: Option<String>,
    /// Ranking only: the military unit the relative gave, folded; a record
    /// whose unit names it is raised.
    pub unit: Option<String>,
}

impl Query {
    /// Parses free text typed by a person. Errors say what to change.
    pub fn parse(text: &str, birth_year: Option<u16>) -> Result<Query, SearchError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::QueryTooLong { max: MAX_QUERY_CHARS });
        }
        if let Some(y) = birth_year {
            if !BIRTH_YEARS.contains(&y) {
                return Err(SearchError::BirthYearOutOfRange {
                    year: y,
                    min: *BIRTH_YEARS.start(),
                    max: *BIRTH_YEARS.end(),
                });
            }
        }
        let mut out = Vec::new();
        for chunk in text.split_whitespace() {
            out.extend(parse_chunk(chunk));
        }
        // Request words go only while a name remains: "Сын" alone is a
        // query for a person called Сын.
        let (aside, name): (Vec<QueryWord>, Vec<QueryWord>) =
            out.iter().cloned().partition(|w| is_request_word(&w.typed));
        let (out, set_aside) =
            if name.is_empty() { (out, Vec::new()) } else { (name, aside.into_iter().map(|w| w.typed).collect()) };
        let mut out = out;
        if out.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        if out.len() > MAX_QUERY_WORDS {
            return Err(SearchError::TooManyWords { max: MAX_QUERY_WORDS });
        }
        add_french_readings(&mut out);
        Ok(Query { words: out, set_aside, birth_year, region: None, birth_date: None, unit: None })
    }

    pub fn with_region(mut self, region: Option<&str>) -> Self {
        self.region = region.map(fold).filter(|r| !r.trim().is_empty());
        self
    }

    pub fn with_unit(mut self, unit: Option<&str>) -> Self {
        self.unit = unit.map(fold).map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        self
    }

    pub fn with_birth_date(mut self, date: Option<&str>) -> Self {
        self.birth_date = date.map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
        self
    }

    /// How much the birth date, region and unit the searcher gave agree
    /// with a record's: positive for agreement, negative for a conflict.
    pub fn context_bonus(&self, rec: &crate::RecordDoc) -> f32 {
        let (birth_date, region) = (rec.birth_date.as_deref(), rec.region.as_deref());
        let mut bonus = 0.0;
        let year = |d: &str| d.get(..4).and_then(|y| y.parse::<u16>().ok());
        if let (Some(want), Some(have)) = (self.birth_year, birth_date.and_then(year)) {
            bonus += if want == have { 0.15 } else { -0.3 };
        }
        if let (Some(want), Some(have)) = (self.birth_date.as_deref(), birth_date) {
            // Compare on the precision both sides have: a day-exact match
            // counts most; any disagreement lowers the hit.
            let common = want.len().min(have.len());
            if want.get(..common) == have.get(..common) {
                bonus += if common >= 10 { 0.1 } else { 0.03 };
            } else {
                bonus -= 0.25;
            }
        }
        if let (Some(want), Some(have)) = (self.region.as_deref(), region) {
            if fold(have) == want {
                bonus += 0.05;
            }
        }
        // "12 мсп" given, "12 мсп, 3 батальон" recorded: the record names it.
        if let (Some(want), Some(have)) = (self.unit.as_deref(), rec.unit.as_deref()) {
            if fold(have).contains(want) {
                bonus += 0.05;
            }
        }
        bonus
    }
}

fn plain_form(folded: &str, weight: f32, layout_fixed: bool) -> WordForm {
    let is_initial = folded.chars().count() == 1;
    WordForm { keys: WordKeys::new(folded), weight, layout_fixed, is_initial, declined: false }
}

/// A word's readings, each with its case-form nominatives (Cyrillic) or
/// its `x` = х and `j` = ж readings (Latin) added after it.
fn with_variants(readings: Vec<WordForm>) -> Vec<WordForm> {
    let mut out: Vec<WordForm> = Vec::with_capacity(readings.len() * 4);
    for form in readings {
        let (folded, skel) = (form.keys.folded.clone(), form.keys.skel.clone());
        let (weight, fixed) = (form.weight, form.layout_fixed);
        let is_initial = form.is_initial;
        out.push(form);
        if is_initial {
            continue;
        }
        match script_of(&folded) {
            Script::Cyrillic => {
                // Candidates that share a key (Иванов, Ивановь) are one lookup.
                let mut skels: Vec<String> = vec![skel];
                for nom in nominatives(&folded) {
                    let form = WordForm { declined: true, ..plain_form(&nom, weight, fixed) };
                    if !skels.contains(&form.keys.skel) {
                        skels.push(form.keys.skel.clone());
                        out.push(form);
                    }
                }
            }
            Script::Latin => {
                for reading in [x_as_kh(&folded), j_as_zh(&folded)].into_iter().flatten() {
                    out.push(plain_form(&reading, weight * 0.98, fixed));
                }
            }
            Script::Mixed => {}
        }
    }
    out
}

/// French-style spelling shows in one word and holds for all of them
/// ("Evguen Gouralnik"): every Latin word then also gets its
/// English-style reading.
fn add_french_readings(words: &mut [QueryWord]) {
    let french =
        words.iter().any(|w| w.forms.iter().any(|f| f.keys.script == Script::Latin && looks_french(&f.keys.folded)));
    if !french {
        return;
    }
    for w in words.iter_mut() {
        let extra: Vec<WordForm> = w
            .forms
            .iter()
            .filter(|f| f.keys.script == Script::Latin && !f.layout_fixed && !f.is_initial)
            .filter_map(|f| french_reading(&f.keys.folded).map(|r| plain_form(&r, f.weight * 0.98, false)))
            .collect();
        w.forms.extend(extra);
    }
}

/// One whitespace-separated chunk. Typed with the Latin layout on, a
/// Russian or Ukrainian name may contain `, . ; ' [ ]` and their Shift
/// symbols (б ю ж э х ъ), so a Latin chunk also gets its Cyrillic readings,
/// whole and without edge punctuation; a Cyrillic chunk that reads as no
/// name gets its Latin reading. Each reading is weighted by how plausible
/// it is as a name.
fn parse_chunk(chunk: &str) -> Vec<QueryWord> {
    let trimmed = chunk.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | '"' | '(' | ')'));
    let latin = fold(trimmed);
    let latin_word = latin.chars().count() > 1 && latin.chars().all(|c| c.is_ascii_alphabetic());
    let layout_keys = script_of(chunk) == Script::Latin && latin.chars().count() > 1;
    if layout_keys {
        let mut readings: Vec<(String, f32, bool)> = Vec::new();
        if latin_word {
            readings.push((latin.clone(), latin_plausibility(&latin), false));
        }
        for raw in [chunk, trimmed] {
            for cyr in cyrillic_readings(raw) {
                let cyr = fold(&cyr);
                if !readings.iter().any(|r| r.0 == cyr) && words(&cyr).len() == 1 {
                    let plausible = cyrillic_plausibility(&cyr);
                    readings.push((cyr, plausible, true));
                }
            }
        }
        // Both readings stay: the wrong one simply matches nothing. The
        // weights only prefer the likelier one when both match something.
        let latin_p = if latin_word { latin_plausibility(&latin) } else { 0.0 };
        let forms: Vec<WordForm> = readings
            .iter()
            .filter(|(_, p, fixed)| !fixed || *p >= 0.3)
            .map(|(w, p, fixed)| {
                let weight = match fixed {
                    false if *p >= 0.3 => 1.0,
                    false => 0.8,
                    true if latin_p < 0.5 => 1.0,
                    true => 0.8,
                };
                plain_form(w, weight, *fixed)
            })
            .collect();
        if !forms.is_empty() {
            let typed = if latin_word { latin } else { forms[0].keys.folded.clone() };
            return vec![QueryWord { typed, forms: with_variants(forms) }];
        }
    }
    words(chunk)
        .into_iter()
        .map(|w| {
            let mut forms = vec![plain_form(&w, 1.0, false)];
            if script_of(&w) == Script::Cyrillic && w.chars().count() > 2 && cyrillic_plausibility(&w) < 0.5 {
                if let Some(lat) = cyrillic_keys_to_latin(&w).filter(|l| latin_plausibility(l) >= 0.5) {
                    forms.push(plain_form(&lat, 0.9, true));
                }
            }
            QueryWord { forms: with_variants(forms), typed: w }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_layout_word_gets_a_cyrillic_reading() {
        let q = Query::parse("Bdfyjd Gtnh", None).unwrap();
        assert_eq!(q.words.len(), 2);
        assert!(q.words[0].forms.iter().any(|f| f.layout_fixed && f.keys.folded == "иванов"));
        assert!(q.words[1].forms.iter().any(|f| f.layout_fixed && f.keys.folded == "петр"));
    }

    #[test]
    fn layout_with_punctuation_keys() {
        let q = Query::parse(",jhbc", None).unwrap();
        assert!(q.words[0].forms.iter().any(|f| f.layout_fixed && f.keys.folded == "борис" && f.weight == 1.0));
    }

    #[test]
    fn plain_latin_keeps_its_reading_first() {
        let q = Query::parse("Ivanov Petr", None).unwrap();
        assert_eq!(q.words[0].forms[0].keys.folded, "ivanov");
        assert!(!q.words[0].forms[0].layout_fixed);
    }

    #[test]
    fn messy_input_and_initials() {
        let q = Query::parse("  ИВАНОВ,   А. С. ", None).unwrap();
        assert_eq!(q.words.len(), 3);
        assert_eq!(q.words[0].forms[0].keys.folded, "иванов");
        assert!(q.words[1].forms[0].is_initial);
    }

    #[test]
    fn request_words_are_set_aside_while_a_name_remains() {
        let q = Query::parse("ищу Иванова Сергея", None).unwrap();
        assert_eq!(q.set_aside, vec!["ищу".to_string()]);
        assert_eq!(q.words.len(), 2);
        let q = Query::parse("Разыскивается рядовой Петров", None).unwrap();
        assert_eq!(q.set_aside, vec!["разыскивается".to_string(), "рядовой".to_string()]);
        assert_eq!(q.words[0].typed, "петров");
        // A request word alone is a name to look for.
        let q = Query::parse("Сын", None).unwrap();
        assert!(q.set_aside.is_empty() && q.words.len() == 1);
    }

    #[test]
    fn declined_words_carry_their_nominatives() {
        let q = Query::parse("Сергея", None).unwrap();
        assert!(q.words[0].forms.iter().any(|f| f.declined && f.keys.folded == "сергей"));
        assert!(!q.words[0].forms[0].declined, "the word as typed comes first");
    }

    #[test]
    fn birth_date_and_region_raise_or_lower() {
        let q = Query::parse("Иванов", None)
            .unwrap()
            .with_birth_date(Some("1990-05-01"))
            .with_region(Some("Тульская область"));
        let rec = |date: Option<&str>, region: Option<&str>, unit: Option<&str>| crate::RecordDoc {
            birth_date: date.map(str::to_string),
            region: region.map(str::to_string),
            unit: unit.map(str::to_string),
            ..crate::RecordDoc::default()
        };
        let bonus = |date, region| q.context_bonus(&rec(date, region, None));
        assert!(bonus(Some("1990-05-01"), Some("ТУЛЬСКАЯ ОБЛАСТЬ")) > bonus(Some("1990"), None));
        assert!(bonus(Some("1990"), None) > 0.0);
        assert!(bonus(Some("1991-05-01"), None) < 0.0);
        assert!(bonus(Some("1990-06-01"), None) < 0.0);
        assert_eq!(bonus(None, None), 0.0);
        let q = q.with_unit(Some(" 12 МСП "));
        let with_unit = q.context_bonus(&rec(Some("1990"), None, Some("12 мсп, 3 батальон")));
        let other_unit = q.context_bonus(&rec(Some("1990"), None, Some("15 бригада")));
        assert!(with_unit > other_unit, "the unit the relative named raises the record");
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert!(matches!(Query::parse("   ", None), Err(SearchError::EmptyQuery)));
        assert!(matches!(Query::parse("!!! ...", None), Err(SearchError::EmptyQuery)));
        assert!(matches!(Query::parse(&"а".repeat(10_000), None), Err(SearchError::QueryTooLong { .. })));
        assert!(matches!(Query::parse("Иванов", Some(3000)), Err(SearchError::BirthYearOutOfRange { .. })));
        assert!(matches!(Query::parse("a b c d e f g", None), Err(SearchError::TooManyWords { .. })));
    }
}
