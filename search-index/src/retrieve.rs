//! Candidate retrieval: the records that hold all but at most `max_misses`
//! of the query's words under some key and, when more are found than are
//! re-ranked, each scored by the strongest key per word.
//!
//! Why not a tantivy query tree: a boolean query over a disjunction of a
//! dozen keys per word walks every posting of every key of every word, and
//! the keys of a common given name or patronymic cover a tenth of a large
//! registry. Here the rarest words lead: their postings are read whole,
//! and every other word is only looked up for the documents they found, by
//! seeking its postings. The cost follows the rarest word, not the sum.
//!
//! When even the rarest word is common and every word must match, the two
//! rarest are read together through their pair terms ([`paired_slots`]):
//! the records holding both are far fewer than those holding either, so
//! the cost follows them rather than the registry's size.

use std::borrow::{Borrow, BorrowMut};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use tantivy::index::SegmentId;
use tantivy::postings::{BlockSegmentPostings, TermInfo};
use tantivy::query::{DfaWrapper, FuzzyTermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, InvertedIndexReader, Searcher, SegmentReader, Term};

use crate::keys::{pair_term, PairKey};
use crate::query::MAX_QUERY_WORDS;
use crate::SearchError;

/// One index term a query word may hit.
pub(crate) struct KeyTerm {
    pub field: Field,
    pub text: String,
    /// Retrieval weight: only the order matters, re-ranking decides.
    pub boost: f32,
    /// Edits allowed (0: the term itself).
    pub edits: u8,
    /// Every record holding it holds another key of the same word (the
    /// letters of a name hold its by-ear key too): it is read only to
    /// score, never to find.
    pub implied: bool,
    /// How a term of its field maps to the pair key of the record word
    /// holding it.
    pub pair: PairKey,
}

/// A record that matched enough words.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub addr: DocAddress,
    /// Sum over the words of the strongest key each matched; 0 when too few
    /// were found to need ordering (see [`Retrieval::run`]).
    pub score: f32,
    /// Query words it does not hold.
    pub misses: u8,
}

/// A key term as one segment holds it.
struct SegmentTerm {
    inv: Arc<InvertedIndexReader>,
    info: TermInfo,
    boost: f32,
    implied: bool,
    /// The term's text (a fuzzy key's: the term found) and how it pairs.
    text: Arc<str>,
    pair: PairKey,
}

impl SegmentTerm {
    fn postings(&self) -> Result<BlockSegmentPostings, SearchError> {
        Ok(self.inv.read_block_postings_from_terminfo(&self.info, IndexRecordOption::Basic)?)
    }
}

/// A query word's keys in one segment, with how many postings must be
/// read to find its records.
struct SegmentWord {
    index: usize,
    terms: Vec<SegmentTerm>,
    cost: u64,
}

impl SegmentWord {
    /// The keys that find records (the others only score them).
    fn finding(&self) -> impl Iterator<Item = &SegmentTerm> {
        self.terms.iter().filter(|t| !t.implied)
    }

    /// The finding keys too long to read whole when pairs lead.
    fn common(&self, limits: PairLimits) -> impl Iterator<Item = &SegmentTerm> {
        self.finding().filter(move |t| t.info.doc_freq >= limits.term_from)
    }

    /// The pair keys of [`Self::common`], each with whether a record
    /// holding it holds the word ([`PairKey::is_exact`]), or `None` when a
    /// common key has none.
    fn pair_keys(&self, limits: PairLimits) -> Option<Vec<(String, bool)>> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        let mut texts = Vec::new();
        for t in self.common(limits) {
            if !t.pair.is_paired() {
                return None;
            }
            t.pair.keys_of(&t.text, &mut texts);
            keys.extend(texts.drain(..).map(|k| (k, t.pair.is_exact())));
        }
        // Exact first, so that the one kept of each key says so if any does.
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        keys.dedup_by(|a, b| a.0 == b.0);
        Some(keys)
    }
}

/// When two words are read through their pairs ([`paired_slots`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PairLimits {
    /// The rarest word's postings from which its pairs lead: below, a few
    /// pair lookups cost more than reading them.
    pub from: u64,
    /// A term's postings from which it is read through pairs, not whole:
    /// below, reading it costs less than the pair lookups it adds (at a
    /// million records 16 and 0 did as well, 128 a tenth worse).
    pub term_from: u32,
}

impl Default for PairLimits {
    fn default() -> Self {
        PairLimits { from: 2048, term_from: 16 }
    }
}
/// Pair terms looked up at most for one pair of words.
const MAX_PAIR_TERMS: usize = 32;

/// A document being considered in one segment. Small on purpose: a common
/// name's retrieval makes thousands, and which keys matched is only asked
/// when the candidates need order (see [`Retrieval::run`]).
#[derive(Debug, Clone, Copy)]
struct Slot {
    doc: DocId,
    /// The query words it holds, one bit each.
    held: u8,
    misses: u8,
}

const _: () = assert!(MAX_QUERY_WORDS <= 8, "a slot holds one bit per query word");

/// The bit of query word `index` in [`Slot::held`].
fn word_bit(index: usize) -> u8 {
    1 << index
}

/// A found document with the strongest key of each word, for ordering.
struct Scored {
    doc: DocId,
    best: [f32; MAX_QUERY_WORDS],
}

/// A query's key terms looked up in every segment of one searcher, ready
/// for one or more retrievals.
pub(crate) struct Retrieval<'s> {
    searcher: &'s Searcher,
    /// The field of pair terms ([`pair_term`]).
    pairs: Field,
    pub(crate) pair_limits: PairLimits,
    /// Per segment, per query word.
    segments: Vec<Vec<SegmentWord>>,
}

impl<'s> Retrieval<'s> {
    /// Looks up `words` (each query word's key terms) in every segment,
    /// fuzzy keys through `expansions`.
    pub fn new(
        searcher: &'s Searcher,
        words: &[Vec<KeyTerm>],
        expansions: &Expansions,
        pairs: Field,
    ) -> Result<Self, SearchError> {
        // An automaton is built at most once per query, when some segment
        // has not expanded its key yet.
        let automata: Vec<Vec<OnceCell<DfaWrapper>>> =
            words.iter().map(|terms| terms.iter().map(|_| OnceCell::new()).collect()).collect();
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            let mut resolved = Vec::with_capacity(words.len());
            for (index, (terms, automata)) in words.iter().zip(&automata).enumerate() {
                resolved.push(resolve_word(segment, index, terms, automata, expansions)?);
            }
            // The rarest words first: they lead, the others are looked up.
            resolved.sort_by_key(|w| w.cost);
            segments.push(resolved);
        }
        Ok(Retrieval { searcher, pairs, pair_limits: PairLimits::default(), segments })
    }

    /// The documents that match all words but at most `max_misses`;
    /// `birth_year` keeps only records born that year or with no known
    /// date (0 in that u64 field). Their scores are exact when more than
    /// `ordered_above` are found: fewer need no order, and the keys that
    /// only score (a common name's letters and skeleton, the longest lists
    /// of a search) are then not read at all.
    pub fn run(
        &self,
        max_misses: usize,
        birth_year: Option<(Field, u16)>,
        ordered_above: usize,
    ) -> Result<Vec<Candidate>, SearchError> {
        let readers = self.searcher.segment_readers();
        let mut found = Vec::with_capacity(readers.len());
        for (segment, words) in readers.iter().zip(&self.segments) {
            let pairs = (self.pairs, self.pair_limits);
            found.push(retrieve_in_segment(segment, words, max_misses, birth_year, pairs)?);
        }
        let ordered = found.iter().map(Vec::len).sum::<usize>() > ordered_above;
        let mut out = Vec::new();
        for (ord, (slots, words)) in found.into_iter().zip(&self.segments).enumerate() {
            let scores = if ordered { score(&slots, words)? } else { vec![0.0; slots.len()] };
            out.extend(slots.iter().zip(scores).map(|(s, score)| Candidate {
                addr: DocAddress::new(ord as u32, s.doc),
                score,
                misses: s.misses,
            }));
        }
        Ok(out)
    }
}

fn retrieve_in_segment(
    segment: &SegmentReader,
    resolved: &[SegmentWord],
    max_misses: usize,
    birth_year: Option<(Field, u16)>,
    pairs: (Field, PairLimits),
) -> Result<Vec<Slot>, SearchError> {
    let paired = match resolved {
        [a, b, ..] if max_misses == 0 => paired_slots(segment, a, b, pairs)?,
        _ => None,
    };
    let (lead, rest, mut slots) = match paired {
        Some(slots) => (&resolved[..2], &resolved[2..], slots),
        None => {
            let (lead, rest) = resolved.split_at((max_misses + 1).min(resolved.len()));
            (lead, rest, lead_slots(lead, segment.max_doc())?)
        }
    };
    // Other birth years and deleted documents go before any lookup. The
    // year is read from its fast field (0 for an unknown date): a few
    // nanoseconds a document, where merging the year's postings and the
    // unknown dates' with every slot was an eighth of a public search.
    if let Some((field, year)) = birth_year {
        let years = segment.fast_fields().u64(segment.schema().get_field_name(field))?;
        let year = u64::from(year);
        slots.retain(|s| years.first(s.doc).is_some_and(|y| y == year || y == 0));
    }
    if let Some(alive) = segment.alive_bitset() {
        slots.retain(|s| alive.is_alive(s.doc));
    }
    // Leaders a slot did not match are misses already (a pair found it
    // by ear: it may hold neither word).
    slots.retain_mut(|s| {
        s.misses = lead.iter().filter(|w| s.held & word_bit(w.index) == 0).count() as u8;
        usize::from(s.misses) <= max_misses
    });
    for word in rest {
        if slots.is_empty() {
            break;
        }
        let bit = word_bit(word.index);
        mark_word(&mut slots, word.finding(), bit)?;
        slots.retain_mut(|s| {
            if s.held & bit == 0 {
                s.misses += 1;
            }
            usize::from(s.misses) <= max_misses
        });
    }
    Ok(slots)
}

/// The retrieval score of each found slot: the sum over the words of the
/// strongest key, every key read (those that only score too).
fn score(slots: &[Slot], words: &[SegmentWord]) -> Result<Vec<f32>, SearchError> {
    let mut scored: Vec<Scored> = slots.iter().map(|s| Scored { doc: s.doc, best: [0.0; MAX_QUERY_WORDS] }).collect();
    for word in words {
        for term in &word.terms {
            let (index, boost) = (word.index, term.boost);
            mark_matches(&mut scored, |s| s.doc, &mut term.postings()?, |s| s.best[index] = s.best[index].max(boost));
        }
    }
    Ok(scored.iter().map(|s| s.best.iter().sum()).collect())
}

/// Looks up a word's key terms in one segment, fuzzy ones expanded over the
/// term dictionary; a term reached by several keys keeps the strongest.
fn resolve_word(
    segment: &SegmentReader,
    index: usize,
    terms: &[KeyTerm],
    automata: &[OnceCell<DfaWrapper>],
    expansions: &Expansions,
) -> Result<SegmentWord, SearchError> {
    let mut by_postings: HashMap<(u32, u64), usize> = HashMap::new();
    let mut out: Vec<SegmentTerm> = Vec::new();
    // A fuzzy key's expansion holds the word's own skeleton, say, which
    // another key already implies: the same postings are implied either way.
    let mut add = |inv: &Arc<InvertedIndexReader>, field: Field, info: TermInfo, text: &Arc<str>, term: &KeyTerm| {
        let key = (field.field_id(), info.postings_range.start as u64);
        match by_postings.get(&key) {
            Some(&i) => {
                out[i].boost = out[i].boost.max(term.boost);
                out[i].implied |= term.implied;
            }
            None => {
                by_postings.insert(key, out.len());
                out.push(SegmentTerm {
                    inv: Arc::clone(inv),
                    info,
                    boost: term.boost,
                    implied: term.implied,
                    text: Arc::clone(text),
                    pair: term.pair,
                });
            }
        }
    };
    for (term, automaton) in terms.iter().zip(automata) {
        let inv = segment.inverted_index(term.field)?;
        if term.edits == 0 {
            if let Some(info) = inv.get_term_info(&Term::from_field_text(term.field, &term.text))? {
                add(&inv, term.field, info, &Arc::from(term.text.as_str()), term);
            }
            continue;
        }
        let found = expansions.expand(segment.segment_id(), term, || {
            let dfa = match automaton.get() {
                Some(dfa) => dfa,
                None => {
                    let built = FuzzyTermQuery::new(Term::from_field_text(term.field, &term.text), term.edits, true)
                        .automaton()?;
                    automaton.get_or_init(|| built)
                }
            };
            let mut stream = inv.terms().search(dfa).into_stream()?;
            let mut found = Vec::new();
            while stream.advance() {
                let text: Arc<str> = String::from_utf8_lossy(stream.key()).into();
                found.push((stream.value().clone(), text));
            }
            Ok(found)
        })?;
        for (info, text) in found.iter() {
            add(&inv, term.field, info.clone(), text, term);
        }
    }
    let cost = out.iter().filter(|t| !t.implied).map(|t| u64::from(t.info.doc_freq)).sum();
    // The commonest first: looked up for a few documents, they most often
    // settle all of them (see [`mark_word`]).
    out.sort_by_key(|t| std::cmp::Reverse(t.info.doc_freq));
    Ok(SegmentWord { index, terms: out, cost })
}

/// Marks the word of `bit` on the slots holding one of its `terms`, and
/// stops as soon as every slot holds it. Opening and seeking a key's
/// postings costs about a microsecond even for one document, a word has
/// dozens of keys (fuzzy expansions mostly), and its first, commonest keys
/// usually settle every slot: at a million records that was most of a
/// public search led by pairs.
fn mark_word<'t, T: BorrowMut<Slot>>(
    slots: &mut [T],
    terms: impl Iterator<Item = &'t SegmentTerm>,
    bit: u8,
) -> Result<(), SearchError> {
    let mut lacking = slots.iter().filter(|s| Borrow::<Slot>::borrow(*s).held & bit == 0).count();
    for term in terms {
        if lacking == 0 {
            break;
        }
        mark_matches(
            slots,
            |s| Borrow::<Slot>::borrow(s).doc,
            &mut term.postings()?,
            |s| {
                let s: &mut Slot = s.borrow_mut();
                if s.held & bit == 0 {
                    s.held |= bit;
                    lacking -= 1;
                }
            },
        );
    }
    Ok(())
}

/// Fuzzy keys expanded over segments' term dictionaries, kept between
/// searches. Building a key's Levenshtein automaton and walking a term
/// dictionary with it was a quarter of a public search's CPU at a million
/// records, and the same keys come back all the time: a few thousand given
/// names and patronymics make up most words of most searches. A segment's
/// terms never change (deletes only hide documents), and a merged or new
/// segment has a new id, so an entry is never stale: it is only dropped
/// when it is the least recently used. Both the keys and the terms they hold
/// are bounded, so no run of queries, however odd, grows the server.
pub(crate) struct Expansions(Mutex<Kept>);

/// A term a fuzzy key expands to, with its text.
type Expanded = (TermInfo, Arc<str>);

/// The kept expansions, least recently used first out, and their terms.
struct Kept {
    keys: LruCache<ExpansionKey, Arc<[Expanded]>>,
    terms: usize,
    max_terms: usize,
}

impl Kept {
    fn keep(&mut self, key: ExpansionKey, found: Arc<[Expanded]>) {
        if found.len() > self.max_terms {
            return;
        }
        self.terms += found.len();
        if let Some((_, old)) = self.keys.push(key, found) {
            self.terms -= old.len();
        }
        while self.terms > self.max_terms {
            let Some((_, old)) = self.keys.pop_lru() else { break };
            self.terms -= old.len();
        }
    }
}

#[derive(Hash, PartialEq, Eq)]
struct ExpansionKey {
    segment: SegmentId,
    field: Field,
    edits: u8,
    text: String,
}

/// Fuzzy keys kept (a key holds a few to a few hundred terms)...
const EXPANSIONS_KEPT: usize = 16_384;
/// ...and the terms they hold together, about 70 bytes each with their
/// text: 18 MB at most.
const EXPANSION_TERMS_KEPT: usize = 1 << 18;

impl Default for Expansions {
    fn default() -> Self {
        Expansions::with_limits(EXPANSIONS_KEPT, EXPANSION_TERMS_KEPT)
    }
}

impl Expansions {
    fn with_limits(keys: usize, terms: usize) -> Self {
        let keys = LruCache::new(NonZeroUsize::new(keys).unwrap_or(NonZeroUsize::MIN));
        Expansions(Mutex::new(Kept { keys, terms: 0, max_terms: terms }))
    }

    /// The terms of `segment` within `term.edits` of `term`: kept, or found
    /// by `walk` (not under the lock: two searches may both walk a new key).
    fn expand(
        &self,
        segment: SegmentId,
        term: &KeyTerm,
        walk: impl FnOnce() -> Result<Vec<Expanded>, SearchError>,
    ) -> Result<Arc<[Expanded]>, SearchError> {
        let key = ExpansionKey { segment, field: term.field, edits: term.edits, text: term.text.clone() };
        if let Some(found) = self.lock().keys.get(&key) {
            return Ok(Arc::clone(found));
        }
        let found: Arc<[Expanded]> = walk()?.into();
        self.lock().keep(key, Arc::clone(&found));
        Ok(found)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A search that panicked holding the lock left a whole cache.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Every document the leading words hold, with their strongest key each.
/// Their postings are gathered, then put in document order: by the
/// standard stable sort (which merges the already sorted lists as runs)
/// when they are few, else by marking them in a bitset of the segment's
/// documents and reading it in order, which costs a pass over the hits
/// and one over the bitset instead of a merge of dozens of long lists.
fn lead_slots(lead: &[SegmentWord], max_doc: DocId) -> Result<Vec<Slot>, SearchError> {
    let sources = lead.iter().flat_map(|w| w.finding().map(|t| Ok((t.postings()?, word_bit(w.index)))));
    slots_of(sources, max_doc)
}

/// The documents holding both of two common words `a` and `b`, read
/// through their pair terms (every record holds one for each two keys of
/// its words, [`pair_term`]) and their rare keys, or `None` when reading
/// them word by word costs less. The pairs are a record's by-ear keys,
/// stems and dictionary names: each of the words' common keys maps to one
/// ([`PairKey`]), so no record holding both is left out. A pair is heard
/// alike, not spelled alike: what it finds holds neither word until the
/// words' own keys are looked up for it.
fn paired_slots(
    segment: &SegmentReader,
    a: &SegmentWord,
    b: &SegmentWord,
    (pairs, limits): (Field, PairLimits),
) -> Result<Option<Vec<Slot>>, SearchError> {
    if a.cost < limits.from {
        return Ok(None);
    }
    let (Some(keys_a), Some(keys_b)) = (a.pair_keys(limits), b.pair_keys(limits)) else { return Ok(None) };
    if keys_a.len() * keys_b.len() > MAX_PAIR_TERMS {
        return Ok(None);
    }
    let inv = segment.inverted_index(pairs)?;
    let (bit_a, bit_b) = (word_bit(a.index), word_bit(b.index));
    let mut found = Vec::new();
    for (ka, exact_a) in &keys_a {
        for (kb, exact_b) in &keys_b {
            if let Some(info) = inv.get_term_info(&Term::from_field_text(pairs, &pair_term(ka, kb)))? {
                let bits = if *exact_a { bit_a } else { 0 } | if *exact_b { bit_b } else { 0 };
                found.push((info, bits));
            }
        }
    }
    let paired = found
        .iter()
        .map(|(info, bits)| Ok((inv.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?, *bits)));
    let rare = [a, b].into_iter().flat_map(|w| {
        w.finding().filter(|t| t.info.doc_freq < limits.term_from).map(|t| Ok((t.postings()?, word_bit(w.index))))
    });
    let mut slots = slots_of(paired.chain(rare), segment.max_doc())?;
    #[cfg(test)]
    PAIRED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // A document with a word's exact key holds the word. Those without
    // (found by a key heard alike, or by the other word's rare keys) are
    // looked up in the word's common keys; they are few.
    for w in [a, b] {
        let bit = word_bit(w.index);
        let mut lacking: Vec<&mut Slot> = slots.iter_mut().filter(|s| s.held & bit == 0).collect();
        mark_word(&mut lacking, w.common(limits), bit)?;
    }
    Ok(Some(slots))
}

/// Retrievals led by pairs, for the tests to tell that they were.
#[cfg(test)]
pub(crate) static PAIRED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Slots of the documents in `sources`, each list's documents holding the
/// words of its bits.
fn slots_of(
    sources: impl Iterator<Item = Result<(BlockSegmentPostings, u8), SearchError>>,
    max_doc: DocId,
) -> Result<Vec<Slot>, SearchError> {
    thread_local! {
        /// Kept between searches: a fresh buffer of a common name's
        /// postings costs page faults each time.
        static HITS: RefCell<Vec<Hit>> = const { RefCell::new(Vec::new()) };
        static SCRATCH: RefCell<BitsetScratch> = RefCell::new(BitsetScratch::default());
    }
    HITS.with_borrow_mut(|hits| {
        hits.clear();
        for source in sources {
            let (mut block, bits) = source?;
            let bits = u64::from(bits);
            while !block.docs().is_empty() {
                hits.extend(block.docs().iter().map(|&doc| u64::from(doc) << 8 | bits));
                block.advance();
            }
        }
        let slots = if hits.len() >= (max_doc as usize / BITSET_FROM).max(1) {
            SCRATCH.with_borrow_mut(|scratch| by_bitset(hits, max_doc, scratch))
        } else {
            hits.sort();
            by_sorted(hits)
        };
        // A rare huge query does not pin its memory.
        if hits.capacity() > KEEP_HITS {
            *hits = Vec::new();
        }
        Ok(slots)
    })
}

/// Hits per document of the segment above which a bitset orders them.
const BITSET_FROM: usize = 64;

/// A leader's posting: the document in the high bits, the word's bit in
/// the low eight, so that sorting orders them by document.
type Hit = u64;

fn hit_doc(hit: Hit) -> DocId {
    (hit >> 8) as DocId
}

fn hit_bit(hit: Hit) -> u8 {
    hit as u8
}

/// Slots from hits already in document order.
fn by_sorted(hits: &[Hit]) -> Vec<Slot> {
    let mut slots: Vec<Slot> = Vec::with_capacity(hits.len());
    for &hit in hits {
        let doc = hit_doc(hit);
        match slots.last_mut() {
            Some(s) if s.doc == doc => s.held |= hit_bit(hit),
            _ => slots.push(Slot { doc, held: hit_bit(hit), misses: 0 }),
        }
    }
    slots
}

/// Slots from hits in any order: the documents are marked in a bitset,
/// slots made in document order from it, and each hit finds its slot by
/// the count of documents before it (a running count per 64 documents and
/// a popcount within them).
fn by_bitset(hits: &[Hit], max_doc: DocId, scratch: &mut BitsetScratch) -> Vec<Slot> {
    let words = (max_doc as usize).div_ceil(64);
    let BitsetScratch { seen, before } = scratch;
    if seen.len() < words {
        seen.resize(words, 0);
        before.resize(words, 0);
    }
    for &hit in hits {
        let doc = hit_doc(hit);
        seen[doc as usize / 64] |= 1 << (doc % 64);
    }
    let mut slots: Vec<Slot> = Vec::new();
    for (i, &bits) in seen[..words].iter().enumerate() {
        before[i] = slots.len() as u32;
        let mut b = bits;
        while b != 0 {
            let doc = (i * 64) as DocId + b.trailing_zeros();
            slots.push(Slot { doc, held: 0, misses: 0 });
            b &= b - 1;
        }
    }
    for &hit in hits {
        let doc = hit_doc(hit);
        let i = doc as usize / 64;
        let below = seen[i] & ((1u64 << (doc % 64)) - 1);
        slots[(before[i] + below.count_ones()) as usize].held |= hit_bit(hit);
    }
    seen[..words].fill(0);
    slots
}

/// A thread's bitset of documents (all zero between uses) and its running
/// counts, kept between searches.
#[derive(Default)]
struct BitsetScratch {
    seen: Vec<u64>,
    before: Vec<u32>,
}

/// Postings kept in the per-thread buffer between searches (8 MB).
const KEEP_HITS: usize = 1 << 20;

/// Calls `hit` on every slot the postings hold (`doc` gives a slot's
/// document): both lists are in document order, so each block of postings
/// that may hold a slot is decoded once and scanned, and blocks holding
/// none are skipped.
fn mark_matches<T>(
    slots: &mut [T],
    doc: impl Fn(&T) -> DocId,
    block: &mut BlockSegmentPostings,
    mut hit: impl FnMut(&mut T),
) {
    let mut i = 0;
    while i < slots.len() {
        let start = block.seek(doc(&slots[i]));
        let docs = block.docs();
        let Some(&last) = docs.last() else { break };
        if start >= docs.len() {
            break;
        }
        let mut j = start;
        while i < slots.len() && doc(&slots[i]) <= last {
            let want = doc(&slots[i]);
            while docs[j] < want {
                j += 1;
            }
            if docs[j] == want {
                hit(&mut slots[i]);
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hits of three words over 10,000 documents, several keys each, in
    /// the order their posting lists give them (sorted per list only).
    fn hits() -> Vec<Hit> {
        let mut hits = Vec::new();
        for (word, step) in [(0, 3u32), (0, 7), (1, 5), (1, 11), (2, 2), (2, 13)] {
            let bit = u64::from(word_bit(word));
            hits.extend((step..10_000).step_by(step as usize).map(|doc| u64::from(doc) << 8 | bit));
        }
        hits
    }

    fn view(slots: &[Slot]) -> Vec<(DocId, u8)> {
        slots.iter().map(|s| (s.doc, s.held)).collect()
    }

    #[test]
    fn the_bitset_and_the_sort_give_the_same_slots() {
        let hits = hits();
        let mut sorted = hits.clone();
        sorted.sort();
        let expected = view(&by_sorted(&sorted));
        assert!(expected.windows(2).all(|w| w[0].0 < w[1].0), "one slot per document, in order");
        // 21 is a multiple of 3 and 7 (word 0), not of 5, 11, 2 or 13.
        assert_eq!(expected.iter().find(|s| s.0 == 21).map(|s| s.1), Some(0b001), "the words a document holds");
        assert_eq!(expected.iter().find(|s| s.0 == 30).map(|s| s.1), Some(0b111));
        assert_eq!(expected.iter().find(|s| s.0 == 1), None, "no word holds document 1");

        let mut scratch = BitsetScratch::default();
        assert_eq!(view(&by_bitset(&hits, 10_000, &mut scratch)), expected);
        assert!(scratch.seen.iter().all(|&w| w == 0), "the bitset is left clear for the next search");
        // A smaller segment after a larger one reuses the scratch.
        let few: Vec<_> = hits.iter().copied().filter(|&h| hit_doc(h) < 500).collect();
        let mut few_sorted = few.clone();
        few_sorted.sort();
        assert_eq!(view(&by_bitset(&few, 500, &mut scratch)), view(&by_sorted(&few_sorted)));
    }

    /// Blocks skipped or scanned, dense or sparse on either side: marking
    /// finds exactly the slots the postings hold.
    #[test]
    fn marking_finds_exactly_the_documents_a_term_holds() {
        use tantivy::schema::{Schema, STRING};
        use tantivy::{doc, Index};

        const DOCS: u32 = 20_000;
        let mut schema = Schema::builder();
        let key = schema.add_text_field("k", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("writer");
        // "dense" every third document, "sparse" five documents, "tail" the last few.
        /// A named set of documents.
        type Docs = (&'static str, fn(u32) -> bool);
        let terms: [Docs; 3] =
            [("dense", |d| d % 3 == 0), ("sparse", |d| d % 4001 == 17), ("tail", |d| d >= DOCS - 40)];
        for d in 0..DOCS {
            let mut document = doc!();
            for (text, holds) in &terms {
                if holds(d) {
                    document.add_text(key, text);
                }
            }
            writer.add_document(document).expect("add");
        }
        writer.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let segment = &searcher.segment_readers()[0];
        let inv = segment.inverted_index(key).expect("inverted index");
        let slot_sets: [Docs; 3] =
            [("every document", |_| true), ("every seventh", |d| d % 7 == 0), ("a few", |d| d % 2999 == 0)];
        for (text, holds) in &terms {
            let info = inv.get_term_info(&Term::from_field_text(key, text)).expect("lookup").expect("term");
            for (name, chosen) in &slot_sets {
                let mut slots: Vec<Slot> =
                    (0..DOCS).filter(|&d| chosen(d)).map(|doc| Slot { doc, held: 0, misses: 0 }).collect();
                let mut block =
                    inv.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic).expect("postings");
                mark_matches(&mut slots, |s| s.doc, &mut block, |s| s.misses += 1);
                let marked: Vec<DocId> = slots.iter().filter(|s| s.misses == 1).map(|s| s.doc).collect();
                let expected: Vec<DocId> = (0..DOCS).filter(|&d| chosen(d) && holds(d)).collect();
                assert_eq!(marked, expected, "term {text} over {name}");
            }
        }
    }

    /// Kept expansions stay within their terms' budget, the least recently
    /// used going first, and one too large for it is not kept at all.
    #[test]
    fn kept_expansions_stay_within_their_budget() {
        let kept = Expansions::with_limits(100, 10);
        let segment = SegmentId::generate_random();
        let walks = std::cell::Cell::new(0);
        let expand = |text: &str, terms: usize| {
            let term = KeyTerm {
                field: Field::from_field_id(0),
                text: text.into(),
                boost: 1.0,
                edits: 1,
                implied: false,
                pair: PairKey::Unpaired,
            };
            let found = kept
                .expand(segment, &term, || {
                    walks.set(walks.get() + 1);
                    Ok(vec![(TermInfo::default(), Arc::from("")); terms])
                })
                .expect("expanded");
            assert_eq!(found.len(), terms);
        };
        let walked = |text: &str| {
            let before = walks.get();
            expand(text, 3);
            walks.get() > before
        };
        for text in ["a", "b", "c"] {
            expand(text, 3);
        }
        assert_eq!(kept.lock().terms, 9);
        assert!(!walked("a"), "kept, and now the most recently used");
        expand("d", 3);
        assert_eq!(kept.lock().terms, 9, "b, the least recently used, made room");
        assert!(walked("b"), "b was dropped");
        assert_eq!(kept.lock().terms, 9, "c made room for b");
        expand("huge", 11);
        assert_eq!(kept.lock().terms, 9, "too large to keep: nothing dropped for it");
        assert!(!walked("a") && !walked("d"), "a and d are still kept");
        assert!(walked("c"), "c was dropped");
    }
}
