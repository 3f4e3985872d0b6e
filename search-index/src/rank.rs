//! Re-ranking: how well each query word matches each part of a candidate's
//! name, the best one-to-one assignment of words to parts, and the
//! explanation a moderator reads ("Саша → Александр, dictionary").

use std::sync::Arc;

use serde::Serialize;

use crate::keys::{NameField, WordKeys};
use crate::normalize::Script;
use crate::query::{QueryWord, WordForm};

/// How a query word matched a name part, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// Same letters after case and ё/е folding.
    Exact,
    /// Same name in another script or transliteration system.
    Transliteration,
    /// Same given name through the dictionary (diminutive, Ukrainian form)
    /// or the same father through a patronymic form (Сергеич).
    Dictionary,
    /// Feminine and masculine surname forms (Иванова / Иванов).
    SurnameForm,
    /// The same name in another grammatical case (Сергея, Петровичу,
    /// Саранского), by the rules of declension.
    CaseForm,
    /// Written as heard (akanye, devoicing).
    ByEar,
    /// A small spelling difference.
    Fuzzy,
    /// An initial letter (А. for Александр).
    Initial,
}

impl MatchKind {
    fn quality(self) -> f32 {
        match self {
            MatchKind::Exact => 1.0,
            MatchKind::Transliteration => 0.96,
            MatchKind::Dictionary => 0.9,
            MatchKind::SurnameForm => 0.88,
            MatchKind::CaseForm => 0.95,
            MatchKind::ByEar => 0.75,
            MatchKind::Fuzzy => 0.7,
            MatchKind::Initial => 0.6,
        }
    }

    /// Weak kinds can match unrelated people; a public result may rely on few.
    pub fn is_weak(self) -> bool {
        matches!(self, MatchKind::ByEar | MatchKind::Fuzzy)
    }

    /// A link through the given-name dictionary (Свирид for Спиридон,
    /// Сергеич for Сергеевич): right for a nickname or another language's
    /// form, but it also joins formal names that are not the same.
    pub fn is_loose(self) -> bool {
        self == MatchKind::Dictionary
    }
}

/// What the registry holds of one query word (see
/// [`NameMatch::leans_on_a_contested_link`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Known {
    /// Some record has a name part with the word's key (any spelling).
    pub spelled: bool,
    /// Some record has a name part written exactly as the word.
    pub written: bool,
}

/// One name part of a record.
#[derive(Debug, Clone)]
pub struct NamePart {
    pub field: NameField,
    /// Shared: one search meets the same name in many records.
    pub keys: Arc<WordKeys>,
}

/// One query word's match, for the explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordMatch {
    /// The word as the person typed it (folded).
    pub query: String,
    pub field: NameField,
    pub kind: MatchKind,
    /// The word was typed with the wrong keyboard layout.
    pub layout_fixed: bool,
}

/// Longest word (in characters) compared on the stack; longer ones are
/// compared on the heap. Names are far shorter.
const STACK_CHARS: usize = 48;

/// Damerau-Levenshtein distance (optimal string alignment), kept in three
/// rolling rows: the re-ranker calls it for every candidate and name part,
/// so it allocates nothing for words of up to [`STACK_CHARS`] letters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (mut abuf, mut bbuf) = (['\0'; STACK_CHARS], ['\0'; STACK_CHARS]);
    let (n, m) = (a.chars().count(), b.chars().count());
    if n >= STACK_CHARS || m >= STACK_CHARS {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        return osa(&a, &b);
    }
    for (slot, c) in abuf.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in bbuf.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    osa(&abuf[..n], &bbuf[..m])
}

/// Whether two words are at most `limit` edits apart. Re-ranking asks this
/// of every candidate's every name part, mostly of words far apart: words
/// whose lengths differ by more than `limit` are not compared at all, and
/// the comparison stops once two rows in a row exceed the limit.
pub fn within_edits(a: &str, b: &str, limit: usize) -> bool {
    let (n, m) = (a.chars().count(), b.chars().count());
    if n.abs_diff(m) > limit {
        return false;
    }
    if n >= STACK_CHARS || m >= STACK_CHARS {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        return osa_bounded(&a, &b, usize::MAX) <= limit;
    }
    let (mut abuf, mut bbuf) = (['\0'; STACK_CHARS], ['\0'; STACK_CHARS]);
    for (slot, c) in abuf.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in bbuf.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    osa_bounded(&abuf[..n], &bbuf[..m], limit) <= limit
}

fn osa(a: &[char], b: &[char]) -> usize {
    osa_bounded(a, b, usize::MAX)
}

/// The optimal-string-alignment distance, or some value above `limit` as
/// soon as it is certain to exceed it (a transposition reaches back two
/// rows, so two rows above the limit are needed).
fn osa_bounded(a: &[char], b: &[char], limit: usize) -> usize {
    let m = b.len();
    let mut rows = [[0usize; STACK_CHARS + 1]; 3];
    let mut heap;
    let (prev2, prev, cur): (&mut [usize], &mut [usize], &mut [usize]) = if m < STACK_CHARS {
        let [r0, r1, r2] = &mut rows;
        (&mut r0[..=m], &mut r1[..=m], &mut r2[..=m])
    } else {
        heap = vec![0usize; 3 * (m + 1)];
        let (r0, rest) = heap.split_at_mut(m + 1);
        let (r1, r2) = rest.split_at_mut(m + 1);
        (r0, r1, r2)
    };
    for (j, cell) in prev.iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        let row_min = cur.iter().copied().min().unwrap_or(0);
        if row_min > limit && prev.iter().copied().min().unwrap_or(0) > limit {
            return limit.saturating_add(1);
        }
        prev2.copy_from_slice(prev);
        prev.copy_from_slice(cur);
    }
    prev[m]
}

/// Edits allowed for a key of this length: 1 from 5 letters, 2 from 9.
pub fn allowed_edits(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

fn shares(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.contains(x))
}

/// The strongest way one spelling of a query word matches one name part.
fn compare_form(q: &WordForm, part: &NamePart) -> Option<MatchKind> {
    let (qk, rk) = (&q.keys, &part.keys);
    if q.is_initial {
        return (part.field != NameField::Surname && qk.initial() == rk.initial()).then_some(MatchKind::Initial);
    }
    if q.declined {
        return compare_nominative(qk, part);
    }
    if qk.folded == rk.folded {
        return Some(MatchKind::Exact);
    }
    if qk.skel == rk.skel {
        return Some(MatchKind::Transliteration);
    }
    match part.field {
        NameField::GivenName => {
            if shares(&qk.given, &rk.given) {
                return Some(MatchKind::Dictionary);
            }
            // Two different known names (Игорь, Егор) are not a misspelling of each other.
            if !qk.given.is_empty() && !rk.given.is_empty() {
                return None;
            }
        }
        NameField::Patronymic => {
            if shares(&qk.fathers, &rk.fathers) {
                return Some(MatchKind::Dictionary);
            }
            if qk.patr_root.is_some() && qk.patr_root == rk.patr_root {
                return Some(MatchKind::Dictionary);
            }
            if !qk.fathers.is_empty() && !rk.fathers.is_empty() {
                return None;
            }
        }
        NameField::Surname if qk.stem == rk.stem => return Some(MatchKind::SurnameForm),
        NameField::Surname => {}
    }
    if qk.ear == rk.ear {
        return Some(MatchKind::ByEar);
    }
    let limit = allowed_edits(qk.skel.len().min(rk.skel.len()));
    if limit > 0 && within_edits(&qk.skel, &rk.skel, limit) {
        return Some(MatchKind::Fuzzy);
    }
    // A slip in a Latin spelling, measured before the skeleton merges letters.
    if qk.script == Script::Latin {
        let latin_limit = allowed_edits(qk.latin.len().min(rk.latin.len()));
        if latin_limit > 0 && within_edits(&qk.latin, &rk.latin, latin_limit) {
            return Some(MatchKind::Fuzzy);
        }
    }
    // A slip on a Cyrillic keyboard can change two skeleton letters
    // (ю→у is "iu"→"u") but is one edit in the folded word.
    let cyr_len = qk.folded.chars().count().min(rk.folded.chars().count());
    if allowed_edits(cyr_len) > 0 && within_edits(&qk.folded, &rk.folded, 1) {
        return Some(MatchKind::Fuzzy);
    }
    // A fuzzy slip inside a feminine surname (Иваноав) or a patronymic.
    let stem_limit = allowed_edits(qk.stem.len().min(rk.stem.len()));
    if part.field == NameField::Surname && stem_limit > 0 && within_edits(&qk.stem, &rk.stem, stem_limit) {
        return Some(MatchKind::Fuzzy);
    }
    None
}

/// A candidate nominative of a declined word: it counts only letter for
/// letter (any script), or through the dictionary ("Сашей" is Саша).
fn compare_nominative(qk: &WordKeys, part: &NamePart) -> Option<MatchKind> {
    let rk = &part.keys;
    if qk.folded == rk.folded || qk.skel == rk.skel {
        return Some(MatchKind::CaseForm);
    }
    match part.field {
        NameField::GivenName if shares(&qk.given, &rk.given) => Some(MatchKind::Dictionary),
        NameField::Patronymic if shares(&qk.fathers, &rk.fathers) => Some(MatchKind::Dictionary),
        NameField::Surname if qk.stem == rk.stem => Some(MatchKind::CaseForm),
        _ => None,
    }
}

/// How one query word matched one part: quality, kind, and whether the
/// spelling was undone from the wrong keyboard layout.
type Cell = Option<(f32, MatchKind, bool)>;

/// Best match of a query word (any of its spellings) against a part.
fn compare(word: &QueryWord, part: &NamePart) -> Cell {
    word.forms
        .iter()
        .filter_map(|form| {
            let kind = compare_form(form, part)?;
            let mut q = kind.quality() * form.weight;
            // Of two names one spelling reaches (Lukian: Лукиан, Лукьян),
            // the one whose plain spelling is the typed one fits better.
            if kind == MatchKind::Transliteration && form.keys.latin == part.keys.latin {
                q += 0.005;
            }
            Some((q, kind, form.layout_fixed))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// The outcome of matching a whole query against one record's name.
#[derive(Debug, Clone)]
pub struct NameMatch {
    /// Mean quality over the query words, 0..=1.
    pub score: f32,
    /// Per query word, in query order; `None` where a word matched nothing.
    pub words: Vec<Option<WordMatch>>,
}

impl NameMatch {
    /// Every word the person typed matched some part of the name.
    pub fn all_words_matched(&self) -> bool {
        self.words.iter().all(Option::is_some)
    }

    /// Some word matched the surname: a public hit must rest on the
    /// surname, not on a given name and patronymic shared by thousands.
    pub fn surname_matched(&self) -> bool {
        self.words.iter().flatten().any(|m| m.field == NameField::Surname)
    }

    pub fn weak_count(&self) -> usize {
        self.words.iter().flatten().filter(|m| m.kind.is_weak()).count()
    }

    /// Whether a word that is itself a name in the registry (`known`, per
    /// query word) reached this record only through a link that also joins
    /// different names:
    /// - through the dictionary, by ear or by distance, for a word some
    ///   record holds in any spelling: the relative typed "Денисий" or
    ///   "Сафонов", people called so exist, and this record is a Денис or
    ///   a Сазонов. A typo rarely makes a name the registry holds, so
    ///   misspelt names still reach their person;
    /// - by transliteration or case form, for a given name or patronymic
    ///   some record holds letter for letter: "Васил" is not "Василь", and
    ///   "Данила" is a name before it is the genitive of "Данил" — unless
    ///   another word is declined too ("Саранского Владилена Левьевича":
    ///   the whole name is in the genitive, so Владилена is Владилен's).
    ///
    /// That is another person, not another spelling.
    pub fn leans_on_a_contested_link(&self, known: &[Known]) -> bool {
        let declined = self.words.iter().flatten().filter(|m| m.kind == MatchKind::CaseForm).count();
        self.words.iter().zip(known).any(|(m, known)| {
            m.as_ref().is_some_and(|m| {
                let loose = m.kind.is_loose() || m.kind.is_weak();
                let respelt = match m.kind {
                    MatchKind::Transliteration => true,
                    MatchKind::CaseForm => declined < 2,
                    _ => false,
                } && m.field != NameField::Surname;
                (known.spelled && loose) || (known.written && respelt)
            })
        })
    }

    /// The public rule: the public sees a record only when every typed word
    /// matched, the surname among them, with a good score, and without two
    /// weak links (by distance or by ear) at once; five or more words may
    /// have two. The search adds one more condition with what only the
    /// registry knows ([`Self::leans_on_a_contested_link`]). Re-matching
    /// asks the same of a record and a waiting request. docs/ARCHITECTURE.md
    /// gives the reasoning.
    pub fn is_public(&self) -> bool {
        let n = self.words.len();
        self.all_words_matched() && self.surname_matched() && self.weak_count() * 3 <= n.max(2) + 1 && self.score >= 0.6
    }
}

/// Breaks ties between records that hold the same words in different
/// fields: the one whose fields follow the typed order wins.
const ORDER_BONUS: f32 = 0.02;
/// Prefers records whose whole name was typed (see [`match_name`]).
const COVERAGE_BONUS: f32 = 0.03;

/// The matched fields, in the order typed, follow "surname given
/// patronymic" or "given patronymic surname".
fn conventional_order(words: &[Option<WordMatch>]) -> bool {
    let rank = |f: NameField, given_first: bool| match (f, given_first) {
        (NameField::Surname, false) => 0,
        (NameField::GivenName, false) => 1,
        (NameField::Patronymic, false) => 2,
        (NameField::GivenName, true) => 0,
        (NameField::Patronymic, true) => 1,
        (NameField::Surname, true) => 2,
    };
    let fields: Vec<NameField> = words.iter().flatten().map(|m| m.field).collect();
    fields.len() >= 2
        && [false, true]
            .into_iter()
            .any(|given_first| fields.windows(2).all(|w| rank(w[0], given_first) <= rank(w[1], given_first)))
}

/// Assigns query words to distinct name parts so that the total quality is
/// highest (a word matches at most one part and a part at most one word).
pub fn match_name(query: &[QueryWord], parts: &[NamePart]) -> NameMatch {
    let table: Vec<Vec<Cell>> = query.iter().map(|w| parts.iter().map(|p| compare(w, p)).collect()).collect();
    let mut best_total = -1.0f32;
    let mut best: Vec<Option<usize>> = vec![None; query.len()];
    let mut current: Vec<Option<usize>> = vec![None; query.len()];
    search(&table, 0, 0u64, 0.0, &mut current, &mut best, &mut best_total);
    let words: Vec<Option<WordMatch>> = best
        .iter()
        .enumerate()
        .map(|(w, part)| {
            let p = (*part)?;
            let (_, kind, layout_fixed) = table[w][p]?;
            Some(WordMatch { query: query[w].typed.clone(), field: parts[p].field, kind, layout_fixed })
        })
        .collect();
    let total: f32 =
        best.iter().enumerate().filter_map(|(w, part)| part.and_then(|p| table[w][p].map(|(q, _, _)| q))).sum();
    let mut score = if query.is_empty() { 0.0 } else { total / query.len() as f32 };
    if conventional_order(&words) {
        score += ORDER_BONUS;
    }
    // Among equal matches, the record with fewer unmatched name parts fits
    // what was typed better (Коваленко Алексей over Коваленко Алексей Сергеевич).
    if !parts.is_empty() {
        let matched = words.iter().flatten().count();
        score += COVERAGE_BONUS * matched as f32 / parts.len() as f32;
    }
    NameMatch { score, words }
}

fn search(
    table: &[Vec<Cell>],
    word: usize,
    used: u64,
    total: f32,
    current: &mut Vec<Option<usize>>,
    best: &mut Vec<Option<usize>>,
    best_total: &mut f32,
) {
    if word == table.len() {
        if total > *best_total {
            *best_total = total;
            best.clone_from(current);
        }
        return;
    }
    // Leaving the word unmatched is always an option.
    current[word] = None;
    search(table, word + 1, used, total, current, best, best_total);
    for (p, cell) in table[word].iter().enumerate() {
        if p >= 64 || used & (1 << p) != 0 {
            continue;
        }
        if let Some((q, _, _)) = cell {
            current[word] = Some(p);
            search(table, word + 1, used | (1 << p), total + q, current, best, best_total);
        }
    }
    current[word] = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("ivanov", "ivnaov"), 1);
        assert_eq!(edit_distance("ivanov", "ivanova"), 1);
        assert_eq!(edit_distance("abc", "xyz"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("щербаков", "щербаковa"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
        let long = "a".repeat(60);
        assert_eq!(edit_distance(&long, &format!("{long}b")), 1);
    }

    #[test]
    fn within_edits_agrees_with_the_distance() {
        let words = ["ivanov", "ivnaov", "ivanova", "ivanovskii", "petrov", "abc", "ca", "", "щербаков", "щербакова"];
        for a in words {
            for b in words {
                for limit in 0..4 {
                    assert_eq!(within_edits(a, b, limit), edit_distance(a, b) <= limit, "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn fuzzy_budget_grows_with_length() {
        assert_eq!(allowed_edits(4), 0);
        assert_eq!(allowed_edits(5), 1);
        assert_eq!(allowed_edits(9), 2);
    }
}
