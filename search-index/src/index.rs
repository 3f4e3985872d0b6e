//! The tantivy index: one document per record with its name keys, and the
//! two-stage search (cheap candidate retrieval, then exact re-ranking).

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use serde::Serialize;
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED};
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::directory::{IndexDirectory, ReadSwitch};
use crate::keys::{father_term, given_term, pair_term, root_term, NameField, PairKey, WordKeys};
use crate::normalize::{words, Script};
use crate::query::{Query, QueryWord};
use crate::rank::{allowed_edits, match_name, Known, NamePart, WordMatch};
use crate::retrieve::{Candidate, Expansions, KeyTerm, Retrieval};
use crate::SearchError;

/// Bumped whenever the schema or the key rules change: an index built by
/// another version is rebuilt from the database instead of being misread.
pub const INDEX_VERSION: u32 = 8;

/// What the index needs of a registry record (and returns with a hit).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordDoc {
    pub id: u64,
    pub external_id: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    /// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub birth_date: Option<String>,
    pub region: Option<String>,
    /// Military unit: never shown publicly; it only ranks a request's
    /// candidates when the relative gave one.
    #[serde(skip_serializing)]
    pub unit: Option<String>,
    /// Opaque public reference of the record (never its id): what a public
    /// hit hands to the request form.
    pub public_ref: Option<String>,
}

impl RecordDoc {
    pub fn birth_year(&self) -> Option<u16> {
        self.birth_date.as_deref().and_then(|d| d.get(..4)).and_then(|y| y.parse().ok())
    }

    /// The record's name split into parts, each with its keys.
    pub fn name_parts(&self) -> Vec<NamePart> {
        self.name_parts_with(keys_of_words)
    }

    /// [`Self::name_parts`], with the keys of the words of a name field's
    /// text from `keys_of`.
    fn name_parts_with(&self, mut keys_of: impl FnMut(&str) -> Arc<[Arc<WordKeys>]>) -> Vec<NamePart> {
        let mut parts = Vec::new();
        for (field, text) in [
            (NameField::Surname, &self.surname),
            (NameField::GivenName, &self.given_name),
            (NameField::Patronymic, &self.patronymic),
        ] {
            parts.extend(keys_of(text).iter().map(|keys| NamePart { field, keys: Arc::clone(keys) }));
        }
        parts
    }
}

/// The keys of each word of a name field's text.
fn keys_of_words(text: &str) -> Arc<[Arc<WordKeys>]> {
    words(text).iter().map(|w| Arc::new(WordKeys::new(w))).collect()
}

/// The keys of the words of name fields' texts, kept between searches.
/// Computing them (folding, transliterating, the dictionary) was most of
/// re-ranking, and a registry's candidates share a few thousand surnames,
/// given names and patronymics. Bounded, least recently used out first.
pub(crate) struct NameKeys(Mutex<LruCache<String, Arc<[Arc<WordKeys>]>>>);

/// Name texts whose keys are kept (a few hundred bytes each: 6 MB at most).
const NAME_KEYS_KEPT: usize = 16_384;

impl Default for NameKeys {
    fn default() -> Self {
        let kept = NonZeroUsize::new(NAME_KEYS_KEPT).unwrap_or(NonZeroUsize::MIN);
        NameKeys(Mutex::new(LruCache::new(kept)))
    }
}

impl NameKeys {
    /// The keys of each word of `text`, kept or computed now.
    fn of(&self, text: &str) -> Arc<[Arc<WordKeys>]> {
        let lock = || self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(keys) = lock().get(text) {
            return Arc::clone(keys);
        }
        let keys = keys_of_words(text);
        lock().put(text.to_string(), Arc::clone(&keys));
        keys
    }
}

/// A search hit, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub record: RecordDoc,
    pub score: f32,
    /// Whether the public search shows this hit (every typed word matched).
    pub public: bool,
    /// Per query word: which name part it matched and how (`null`: none).
    pub matches: Vec<Option<WordMatch>>,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchOptions {
    pub limit: usize,
    /// Only hits the public may see (every word typed matched).
    pub public_only: bool,
}

struct Fields {
    rid: Field,
    birth_year: Field,
    exact: Field,
    skel: Field,
    latin: Field,
    ear: Field,
    stem: Field,
    given: Field,
    father: Field,
    init: Field,
    pair: Field,
    external_id: Field,
    surname: Field,
    given_name: Field,
    patronymic: Field,
    birth_date: Field,
    region: Field,
    unit: Field,
    public_ref: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Keys are matched, never scored by their field's length: no field
    // norms (10 MB of the index at a million records).
    let key = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        rid: b.add_u64_field("rid", INDEXED | STORED | FAST),
        birth_year: b.add_u64_field("birth_year", INDEXED | FAST),
        exact: b.add_text_field("k_exact", key.clone()),
        skel: b.add_text_field("k_skel", key.clone()),
        latin: b.add_text_field("k_latin", key.clone()),
        ear: b.add_text_field("k_ear", key.clone()),
        stem: b.add_text_field("k_stem", key.clone()),
        given: b.add_text_field("k_given", key.clone()),
        father: b.add_text_field("k_father", key.clone()),
        init: b.add_text_field("k_init", key.clone()),
        pair: b.add_text_field("k_pair", key),
        external_id: b.add_text_field("external_id", STORED),
        surname: b.add_text_field("surname", STORED),
        given_name: b.add_text_field("given_name", STORED),
        patronymic: b.add_text_field("patronymic", STORED),
        birth_date: b.add_text_field("birth_date", STORED),
        region: b.add_text_field("region", STORED),
        unit: b.add_text_field("unit", STORED),
        public_ref: b.add_text_field("public_ref", STORED),
    };
    (b.build(), fields)
}

/// Small document-store blocks: a search reads up to 200 records scattered
/// over the registry, and each read decompresses its whole block. 1 KB (a
/// few records) rather than 4 KB took a quarter off fetching a public
/// search's records at a million, for a store 27 % larger.
fn settings() -> IndexSettings {
    IndexSettings { docstore_blocksize: 1024, ..IndexSettings::default() }
}

/// The index writer's memory, shared by its threads: a segment is written
/// out each time a thread's share fills. Sized so that an import of a
/// million rows, with the database and the index at work together, stays
/// under 300 MB (docs/PERFORMANCE.md).
const WRITER_MEMORY: usize = 64_000_000;

/// The batch below which one thread builds the documents alone (a thread
/// costs more than a few documents).
const PARALLEL_FROM: usize = 512;

/// Candidates fetched before re-ranking.
const CANDIDATES: usize = 200;

// Retrieval boosts: only their order matters, re-ranking decides.
const B_EXACT: f32 = 10.0;
const B_SKEL: f32 = 9.0;
const B_DICT: f32 = 8.0;
const B_STEM: f32 = 7.0;
const B_EAR: f32 = 5.0;
const B_FUZZY: f32 = 4.0;
const B_INIT: f32 = 3.0;

pub struct NameIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    f: Fields,
    expansions: Expansions,
    name_keys: NameKeys,
    /// Reads by `pread` for merges; none for an index in memory.
    reads: Option<ReadSwitch>,
}

impl NameIndex {
    /// Opens the index in `dir`, creating it if absent.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let directory = IndexDirectory::open(dir)?;
        let reads = directory.switch();
        let index =
            Index::builder().schema(schema).settings(settings()).open_or_create(directory).map_err(|e| match e {
                tantivy::TantivyError::SchemaError(_) => SearchError::SchemaMismatch,
                other => SearchError::Index(other),
            })?;
        Self::with_index(index, f, Some(reads))
    }

    /// An index in memory, for tests and one-shot tools.
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, f) = schema();
        Self::with_index(Index::builder().schema(schema).settings(settings()).create_in_ram()?, f, None)
    }

    fn with_index(index: Index, f: Fields, reads: Option<ReadSwitch>) -> Result<Self, SearchError> {
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(NameIndex {
            index,
            reader,
            writer: Mutex::new(None),
            f,
            expansions: Expansions::default(),
            name_keys: NameKeys::default(),
            reads,
        })
    }

    fn with_writer<T>(&self, op: impl FnOnce(&mut IndexWriter) -> tantivy::Result<T>) -> Result<T, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.index.writer(WRITER_MEMORY).map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => SearchError::IndexBusy,
                other => SearchError::Index(other),
            })?);
        }
        match guard.as_mut() {
            Some(w) => Ok(op(w)?),
            None => unreachable!("writer was just created"),
        }
    }

    fn to_document(&self, rec: &RecordDoc) -> TantivyDocument {
        let f = &self.f;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.rid, rec.id);
        doc.add_u64(f.birth_year, rec.birth_year().map_or(0, u64::from));
        let parts = rec.name_parts();
        let mut pair_keys: Vec<String> = parts.iter().flat_map(|p| p.keys.pair_keys(p.field)).collect();
        pair_keys.sort_unstable();
        pair_keys.dedup();
        for (i, a) in pair_keys.iter().enumerate() {
            for b in &pair_keys[i..] {
                doc.add_text(f.pair, pair_term(a, b));
            }
        }
        for part in parts {
            let k = &part.keys;
            doc.add_text(f.exact, &k.folded);
            doc.add_text(f.skel, &k.skel);
            doc.add_text(f.latin, &k.latin);
            doc.add_text(f.ear, &k.ear);
            match part.field {
                NameField::Surname => doc.add_text(f.stem, &k.stem),
                NameField::GivenName => {
                    for id in &k.given {
                        doc.add_text(f.given, given_term(*id));
                    }
                    if let Some(c) = k.initial() {
                        doc.add_text(f.init, c.to_string());
                    }
                }
                NameField::Patronymic => {
                    for id in &k.fathers {
                        doc.add_text(f.father, father_term(*id));
                    }
                    if let Some(root) = &k.patr_root {
                        doc.add_text(f.father, root_term(root));
                    }
                    if let Some(c) = k.initial() {
                        doc.add_text(f.init, c.to_string());
                    }
                }
            }
        }
        doc.add_text(f.external_id, &rec.external_id);
        doc.add_text(f.surname, &rec.surname);
        doc.add_text(f.given_name, &rec.given_name);
        doc.add_text(f.patronymic, &rec.patronymic);
        if let Some(d) = &rec.birth_date {
            doc.add_text(f.birth_date, d);
        }
        if let Some(r) = &rec.region {
            doc.add_text(f.region, r);
        }
        if let Some(u) = &rec.unit {
            doc.add_text(f.unit, u);
        }
        if let Some(r) = &rec.public_ref {
            doc.add_text(f.public_ref, r);
        }
        doc
    }

    /// Adds or replaces records (by id). Not visible until [`commit`](Self::commit).
    pub fn upsert(&self, recs: &[RecordDoc]) -> Result<(), SearchError> {
        self.upsert_above(recs, None).map(|_| ())
    }

    /// [`upsert`](Self::upsert) for a caller that knows no record above
    /// `known_max` is in the index (ids only grow): those are added without
    /// a delete, so an import of new records queues no deletes, which tantivy
    /// holds until the commit. Returns the number of deletes queued.
    pub fn upsert_above(&self, recs: &[RecordDoc], known_max: Option<u64>) -> Result<usize, SearchError> {
        let docs = self.documents(recs);
        let mut deletes = 0;
        self.with_writer(|w| {
            for (rec, doc) in recs.iter().zip(docs) {
                if known_max.is_none_or(|max| rec.id <= max) {
                    w.delete_term(Term::from_field_u64(self.f.rid, rec.id));
                    deletes += 1;
                }
                w.add_document(doc)?;
            }
            Ok(())
        })?;
        Ok(deletes)
    }

    /// The documents of `recs`, in order, built on every core: their name
    /// keys are the largest share of an index build's CPU, and the thread
    /// that feeds tantivy was the one a million-record build waited on.
    fn documents(&self, recs: &[RecordDoc]) -> Vec<TantivyDocument> {
        if recs.len() < PARALLEL_FROM {
            return recs.iter().map(|r| self.to_document(r)).collect();
        }
        crate::parallel::on_every_core(recs.iter().collect(), |r: &RecordDoc| self.to_document(r))
    }

    /// The highest record id in the committed index (deleted documents
    /// count too), or 0 when it is empty.
    pub fn max_rid(&self) -> Result<u64, SearchError> {
        let mut max = 0;
        for segment in self.reader.searcher().segment_readers() {
            if segment.max_doc() > 0 {
                max = max.max(segment.fast_fields().u64("rid")?.max_value());
            }
        }
        Ok(max)
    }

    pub fn delete(&self, id: u64) -> Result<(), SearchError> {
        self.with_writer(|w| {
            w.delete_term(Term::from_field_u64(self.f.rid, id));
            Ok(())
        })
    }

    /// Removes every document (before a full rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.with_writer(|w| w.delete_all_documents().map(|_| ()))
    }

    /// Makes pending changes durable and visible to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|w| w.commit().map(|_| ()))?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one, after a full build: each segment
    /// costs a search one more walk of every fuzzy automaton and one more
    /// lookup of every key. The segments are read by `pread`, not mapped,
    /// so that the whole index is not held in memory at the end (see
    /// [`crate::directory`]); the merged one is mapped again for searches.
    pub fn merge_segments(&self) -> Result<(), SearchError> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            {
                let _through = self.reads.as_ref().map(ReadSwitch::read_through);
                self.with_writer(|w| w.merge(&ids).wait().map(|_| ()))?;
            }
            self.reader.reload()?;
        }
        Ok(())
    }

    /// For a build from scratch, ended by [`Self::merge_segments`]: the
    /// writer merges nothing on its own until it is closed. Its merges on
    /// the way would all be made again by the final one, and one finishing
    /// under it takes segments from it and makes it fail.
    pub fn hold_merges(&self) -> Result<(), SearchError> {
        self.with_writer(|w| {
            w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
            Ok(())
        })
    }

    /// Takes the writer, and with it tantivy's lock ([`SearchError::IndexBusy`]
    /// while another process holds it), then re-reads the index: from here
    /// on no other process commits, and this one sees every earlier commit.
    pub fn begin_writing(&self) -> Result<(), SearchError> {
        self.with_writer(|_| Ok(()))?;
        self.reload()
    }

    /// Releases the writer lock (and its memory) until the next change.
    pub fn close_writer(&self) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = guard.take() {
            w.wait_merging_threads()?;
        }
        Ok(())
    }

    /// From now on keeps the term dictionaries, postings and fast fields
    /// resident in huge pages (see [`crate::directory`]), the current ones
    /// too: for a process that serves searches, not one that builds the
    /// index. Returns the bytes now held so.
    pub fn keep_resident(&self) -> Result<usize, SearchError> {
        let Some(reads) = &self.reads else { return Ok(0) };
        reads.keep_resident();
        self.reader.reload()?;
        Ok(reads.resident_bytes())
    }

    /// Re-reads the index (after another process changed it).
    pub fn reload(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Every index term one query word may hit, with its retrieval weight.
    fn word_terms(&self, word: &QueryWord) -> Vec<KeyTerm> {
        let f = &self.f;
        let mut terms: Vec<KeyTerm> = Vec::new();
        // Readings often share keys: each key is looked up once, at its
        // strongest weight.
        let pair_of = |field: Field| match field {
            _ if field == f.ear => PairKey::Ear,
            _ if field == f.skel => PairKey::EarOfSkeleton,
            _ if field == f.exact => PairKey::EarOfLetters,
            _ if field == f.latin => PairKey::EarOfLatin,
            _ if field == f.stem => PairKey::Stem,
            _ if field == f.given || field == f.father => PairKey::Same,
            _ => PairKey::Unpaired,
        };
        let mut add = |field: Field, text: String, boost: f32, edits: usize, implied: bool| {
            let edits = edits as u8;
            match terms.iter_mut().find(|t| t.field == field && t.edits == edits && t.text == text) {
                Some(t) => {
                    t.boost = t.boost.max(boost);
                    t.implied |= implied;
                }
                None => terms.push(KeyTerm { field, text, boost, edits, implied, pair: pair_of(field) }),
            }
        };
        for form in &word.forms {
            let k = &form.keys;
            let w = form.weight;
            if form.is_initial {
                if let Some(c) = k.initial() {
                    add(f.init, c.to_string(), B_INIT * w, 0, false);
                }
                continue;
            }
            // A case-form nominative is a guess: it is looked up by its key
            // and through the dictionary, never by ear or distance. Any
            // other form is looked up by ear, and a record with its letters
            // has its skeleton and one with its skeleton its by-ear key: the
            // by-ear key finds those records, and the other two score them.
            let by_ear = !form.declined;
            if by_ear {
                add(f.exact, k.folded.clone(), B_EXACT * w, 0, true);
                add(f.stem, k.stem.clone(), B_STEM * w, 0, false);
            }
            add(f.skel, k.skel.clone(), B_SKEL * w, 0, by_ear);
            for id in &k.given {
                add(f.given, given_term(*id), B_DICT * w, 0, false);
            }
            for id in &k.fathers {
                add(f.father, father_term(*id), B_DICT * w, 0, false);
            }
            if !by_ear {
                continue;
            }
            add(f.ear, k.ear.clone(), B_EAR * w, 0, false);
            if let Some(root) = &k.patr_root {
                add(f.father, root_term(root), B_DICT * w, 0, false);
            }
            let edits = allowed_edits(k.skel.len());
            if edits > 0 {
                add(f.skel, k.skel.clone(), B_FUZZY * w, edits, false);
            }
            let latin_edits = allowed_edits(k.latin.len());
            if k.script == Script::Latin && latin_edits > 0 {
                add(f.latin, k.latin.clone(), B_FUZZY * w, latin_edits, false);
            }
            if k.script != Script::Latin && allowed_edits(k.folded.chars().count()) > 0 {
                add(f.exact, k.folded.clone(), B_FUZZY * w, 1, false);
            }
        }
        terms
    }

    /// Looks up every key of every query word (see [`Retrieval`]).
    fn retrieval<'s>(&self, searcher: &'s Searcher, q: &Query) -> Result<Retrieval<'s>, SearchError> {
        let words: Vec<Vec<KeyTerm>> = q.words.iter().map(|w| self.word_terms(w)).collect();
        Retrieval::new(searcher, &words, &self.expansions, self.f.pair)
    }

    /// The stored records of candidates, in the order given.
    fn fetch(&self, searcher: &Searcher, found: &[Candidate]) -> Result<Vec<RecordDoc>, SearchError> {
        found.iter().map(|c| Ok(self.record_of(&searcher.doc::<TantivyDocument>(c.addr)?))).collect()
    }

    fn record_of(&self, doc: &TantivyDocument) -> RecordDoc {
        let f = &self.f;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_string));
        RecordDoc {
            id: doc.get_first(f.rid).and_then(|v| v.as_u64()).unwrap_or_default(),
            external_id: text(f.external_id).unwrap_or_default(),
            surname: text(f.surname).unwrap_or_default(),
            given_name: text(f.given_name).unwrap_or_default(),
            patronymic: text(f.patronymic).unwrap_or_default(),
            birth_date: text(f.birth_date),
            region: text(f.region),
            unit: text(f.unit),
            public_ref: text(f.public_ref),
        }
    }

    /// Per query word: whether some record holds it as a name part
    /// transliterated ([`Known::spelled`]) and letter for letter
    /// ([`Known::written`]), i.e. it is a name in its own right.
    fn known_words(&self, q: &Query) -> Result<Vec<Known>, SearchError> {
        let searcher = self.reader.searcher();
        let mut known = Vec::with_capacity(q.words.len());
        for w in &q.words {
            let mut k = Known::default();
            for f in w.forms.iter().filter(|f| !f.declined && !f.is_initial) {
                k.spelled = k.spelled || searcher.doc_freq(&Term::from_field_text(self.f.skel, &f.keys.skel))? > 0;
            }
            if let Some(typed) = w.forms.first().filter(|f| !f.layout_fixed && !f.is_initial) {
                k.written = searcher.doc_freq(&Term::from_field_text(self.f.exact, &typed.keys.folded))? > 0;
            }
            known.push(k);
        }
        Ok(known)
    }

    /// Finds records for a parsed query, best first.
    pub fn search(&self, q: &Query, opts: SearchOptions) -> Result<Vec<Hit>, SearchError> {
        let n = q.words.len();
        let searcher = self.reader.searcher();
        let retrieval = self.retrieval(&searcher, q)?;
        let born = q.birth_year.map(|y| (self.f.birth_year, y));
        // Staff and the CLI also see near misses (all words but one), when
        // the whole name leaves the page short. One retrieval finds both:
        // those that hold every word are among those that miss at most one.
        let near = !opts.public_only && n >= 2;
        let found = retrieval.run(usize::from(near), born, CANDIDATES)?;
        let whole = best(found.iter().copied().filter(|c| c.misses == 0).collect());
        let mut recs = self.fetch(&searcher, &whole)?;
        if near && recs.len() < opts.limit {
            // Those with every word are fetched already: only the rest are read.
            let more: Vec<Candidate> = best(found).into_iter().filter(|c| c.misses > 0).collect();
            recs.extend(self.fetch(&searcher, &more)?);
        }
        let known = self.known_words(q)?;
        let mut hits: Vec<Hit> = recs
            .into_iter()
            .map(|rec| {
                let m = match_name(&q.words, &rec.name_parts_with(|text| self.name_keys.of(text)));
                let public = m.is_public() && !m.leans_on_a_contested_link(&known);
                let score = m.score + q.context_bonus(&rec);
                Hit { record: rec, score, public, matches: m.words }
            })
            .filter(|h| !opts.public_only || h.public)
            .collect();
        hits.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then(b.public.cmp(&a.public)).then(a.record.id.cmp(&b.record.id))
        });
        hits.truncate(opts.limit);
        Ok(hits)
    }
}

/// The best [`CANDIDATES`] by retrieval score (ties: index order), best first.
fn best(mut found: Vec<Candidate>) -> Vec<Candidate> {
    let order = |a: &Candidate, b: &Candidate| b.score.total_cmp(&a.score).then(a.addr.cmp(&b.addr));
    if found.len() > CANDIDATES {
        found.select_nth_unstable_by(CANDIDATES - 1, order);
        found.truncate(CANDIDATES);
    }
    found.sort_unstable_by(order);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retrieve::PairLimits;

    fn rec(id: u64, s: &str, g: &str, p: &str, bd: Option<&str>) -> RecordDoc {
        RecordDoc {
            id,
            external_id: format!("T-{id}"),
            surname: s.into(),
            given_name: g.into(),
            patronymic: p.into(),
            birth_date: bd.map(str::to_string),
            ..RecordDoc::default()
        }
    }

    /// An index in memory holding `recs`, committed.
    fn indexed(recs: &[RecordDoc]) -> NameIndex {
        let idx = NameIndex::in_memory().unwrap();
        idx.upsert(recs).unwrap();
        idx.commit().unwrap();
        idx
    }

    fn sample() -> NameIndex {
        indexed(&[
            rec(1, "Иванов", "Александр", "Сергеевич", Some("1990-05-01")),
            rec(2, "Иванов", "Александр", "Петрович", Some("1985")),
            rec(3, "Соловьёв", "Пётр", "Ильич", None),
            rec(4, "Иванова", "Мария", "Павловна", Some("1999-01")),
            rec(5, "Щербаков", "Юрий", "Николаевич", Some("2001-02-03")),
        ])
    }

    fn first(idx: &NameIndex, q: &str, y: Option<u16>) -> Option<u64> {
        let q = Query::parse(q, y).unwrap();
        idx.search(&q, SearchOptions { limit: 10, public_only: true }).unwrap().first().map(|h| h.record.id)
    }

    #[test]
    fn finds_by_any_spelling() {
        let idx = sample();
        assert_eq!(first(&idx, "Иванов Александр Сергеевич", None), Some(1));
        assert_eq!(first(&idx, "Сергеевич Александр ИВАНОВ", None), Some(1));
        assert_eq!(first(&idx, "Ivanov Aleksandr Sergeevich", None), Some(1));
        assert_eq!(first(&idx, "Соловьев Петр", None), Some(3));
        assert_eq!(first(&idx, "Solovyov Pyotr", None), Some(3));
        assert_eq!(first(&idx, "Shcherbakov Yuriy", None), Some(5));
        assert_eq!(first(&idx, "Щербаков Юра", None), Some(5));
        assert_eq!(first(&idx, "Oth,frjd", None), Some(5));
        assert_eq!(first(&idx, "Иванова Мария", None), Some(4));
    }

    #[test]
    fn public_search_needs_every_word() {
        let idx = sample();
        assert_eq!(first(&idx, "Иванов Мстислав", None), None);
        assert_eq!(first(&idx, "Петров", None), None);
    }

    #[test]
    fn birth_year_filters_but_keeps_unknown_dates() {
        let idx = sample();
        assert_eq!(first(&idx, "Иванов Александр", Some(1985)), Some(2));
        assert_eq!(first(&idx, "Иванов Александр", Some(1990)), Some(1));
        assert_eq!(first(&idx, "Соловьев", Some(1970)), Some(3));
        assert_eq!(first(&idx, "Щербаков", Some(1970)), None);
    }

    #[test]
    fn hits_explain_matches() {
        let idx = sample();
        let q = Query::parse("Sasha Ivanov", None).unwrap();
        let hits = idx.search(&q, SearchOptions { limit: 10, public_only: true }).unwrap();
        let h = hits.first().unwrap();
        let kinds: Vec<_> = h.matches.iter().flatten().map(|m| (m.field, m.kind)).collect();
        assert!(kinds.contains(&(NameField::GivenName, crate::MatchKind::Dictionary)), "{kinds:?}");
        assert!(kinds.contains(&(NameField::Surname, crate::MatchKind::Transliteration)), "{kinds:?}");
    }

    #[test]
    fn the_unit_a_relative_gave_ranks_namesakes() {
        let idx = NameIndex::in_memory().unwrap();
        let namesake = |id: u64, unit: &str| RecordDoc {
            unit: Some(unit.to_string()),
            ..rec(id, "Петров", "Иван", "Ильич", Some("1990"))
        };
        idx.upsert(&[namesake(1, "15 отдельная бригада"), namesake(2, "12 МСП, 3 батальон")]).unwrap();
        idx.commit().unwrap();
        let first = |unit: &str| {
            let q = Query::parse("Петров Иван Ильич", None).unwrap().with_unit(Some(unit));
            idx.search(&q, SearchOptions { limit: 10, public_only: false }).unwrap()[0].record.id
        };
        assert_eq!(first("12 мсп"), 2);
        assert_eq!(first("15 отдельная"), 1);
    }

    /// A name the registry holds in its own right does not reach another
    /// person through a dictionary, a typo or a case-form reading; the same
    /// links still work for words that are not names there.
    #[test]
    fn a_name_the_registry_knows_is_not_read_as_another() {
        let idx = indexed(&[
            rec(1, "Михоэлс", "Денис", "Ильич", None),
            rec(2, "Жиделев", "Денисий", "Петрович", None),
            rec(3, "Риббентроп", "Данил", "Ильич", None),
            rec(4, "Добейко", "Данила", "Петрович", None),
            rec(5, "Гапчук", "Еремей", "Ильич", None),
            rec(6, "Гавчук", "Остап", "Петрович", None),
            rec(7, "Саранский", "Владилен", "Ильич", None),
            rec(8, "Левина", "Владилена", "Петровна", None),
        ]);
        assert_eq!(first(&idx, "Mikhoels Denisii", None), None, "Денисий is a name of its own here");
        assert_eq!(first(&idx, "Риббентроп Данила", None), None, "Данила is a name before a genitive");
        assert_eq!(first(&idx, "Гавчук Еремей", None), None, "Гавчук is a surname of its own");
        // Controls: the same links for words that are no name here.
        assert_eq!(first(&idx, "Гапчюк Еремей", None), Some(5), "a typo still finds him");
        assert_eq!(first(&idx, "Михоэлс Денисом", None), Some(1), "a case form of a plain name");
        assert_eq!(first(&idx, "Саранского Владилена Ильича", None), Some(7), "a whole name in the genitive");
    }

    #[test]
    fn an_index_of_another_schema_is_reported_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let mut other = Schema::builder();
        other.add_text_field("something_else", STORED);
        Index::create_in_dir(dir.path(), other.build()).unwrap();
        assert!(matches!(NameIndex::open(dir.path()), Err(SearchError::SchemaMismatch)));
        let fresh = tempfile::tempdir().unwrap();
        assert!(NameIndex::open(fresh.path()).is_ok());
    }

    #[test]
    fn reimport_replaces_a_record() {
        let idx = sample();
        idx.upsert(&[rec(3, "Соловьёв", "Павел", "Ильич", None)]).unwrap();
        idx.commit().unwrap();
        assert_eq!(idx.num_docs(), 5);
        assert_eq!(first(&idx, "Соловьев Павел", None), Some(3));
        assert_eq!(first(&idx, "Соловьев Петр", None), None);
    }

    /// Kept keys are the words' own, computed once per text.
    #[test]
    fn kept_name_keys_are_each_words_keys() {
        let kept = NameKeys::default();
        let keys = kept.of("Римский-Корсаков");
        let skels: Vec<&str> = keys.iter().map(|k| k.skel.as_str()).collect();
        let expected: Vec<String> = words("Римский-Корсаков").iter().map(|w| WordKeys::new(w).skel).collect();
        assert_eq!(skels, expected);
        assert_eq!(skels.len(), 2, "a double surname is two words");
        assert!(Arc::ptr_eq(&keys, &kept.of("Римский-Корсаков")), "the second time they are kept");
        assert!(kept.of("").is_empty());
    }

    /// The records and scores one retrieval gives, by record id.
    fn retrieved(idx: &NameIndex, q: &Query, all_keys_find: bool, ordered_above: usize) -> Vec<(u64, f32)> {
        retrieved_with(idx, q, all_keys_find, ordered_above, PairLimits::default())
    }

    fn retrieved_with(
        idx: &NameIndex,
        q: &Query,
        all_keys_find: bool,
        ordered_above: usize,
        pair_limits: PairLimits,
    ) -> Vec<(u64, f32)> {
        let searcher = idx.reader.searcher();
        let mut words: Vec<Vec<KeyTerm>> = q.words.iter().map(|w| idx.word_terms(w)).collect();
        if all_keys_find {
            words.iter_mut().flatten().for_each(|t| t.implied = false);
        }
        let mut retrieval = Retrieval::new(&searcher, &words, &idx.expansions, idx.f.pair).unwrap();
        retrieval.pair_limits = pair_limits;
        let mut out: Vec<(u64, f32)> = retrieval
            .run(0, None, ordered_above)
            .unwrap()
            .iter()
            .map(|c| (idx.fetch(&searcher, &[*c]).unwrap()[0].id, c.score))
            .collect();
        out.sort_by_key(|r| r.0);
        out
    }

    /// One surname by letters, by ear, in Latin and in Ukrainian, a woman's
    /// form of it and an unrelated name (ids 1 to 6), then `more`.
    fn sokolovs_and<const N: usize>(more: [RecordDoc; N]) -> Vec<RecordDoc> {
        let mut recs = vec![
            rec(1, "Соколов", "Иван", "Петрович", None),
            rec(2, "Сакалов", "Иван", "Петрович", None),
            rec(3, "Sokolov", "Ivan", "", None),
            rec(4, "Соколова", "Мария", "Ивановна", None),
            rec(5, "Соколів", "Іван", "Петрович", None),
            rec(6, "Щербаков", "Юрий", "Николаевич", None),
        ];
        recs.extend(more);
        recs
    }

    /// A name's letters and skeleton are never needed to find a record
    /// (its by-ear key finds it): reading them as well finds the same
    /// records, and they are read to score when the candidates need order.
    #[test]
    fn keys_that_only_score_never_change_what_is_found() {
        let idx = indexed(&sokolovs_and([
            rec(7, "Шербаков", "Юрий", "Николаевич", None),
            // Found for "Ilin" only through the surname stem.
            rec(8, "Ильина", "Анна", "", None),
        ]));
        assert_eq!(WordKeys::new("соколов").ear, WordKeys::new("сакалов").ear, "the test needs a pair heard alike");
        for text in
            ["Соколов Иван", "Sokolov Ivan", "Cjrjkjd", "Сакалов", "Соколова", "Щербаков Юрий", "Ivan", "Іван", "Ilin"]
        {
            let q = Query::parse(text, None).unwrap();
            let found = retrieved(&idx, &q, false, usize::MAX);
            assert!(!found.is_empty(), "{text}: something is found");
            let ids = |r: &[(u64, f32)]| r.iter().map(|r| r.0).collect::<Vec<_>>();
            assert_eq!(ids(&found), ids(&retrieved(&idx, &q, true, usize::MAX)), "{text}: the same records");
            let ordered = retrieved(&idx, &q, false, 0);
            assert_eq!(ordered, retrieved(&idx, &q, true, 0), "{text}: ordered, the same scores as reading every key");
        }
        // Ordered, the letter-for-letter Соколов comes before the one heard
        // alike; unordered, nothing is scored.
        let q = Query::parse("Соколов", None).unwrap();
        let score = |r: &[(u64, f32)], id: u64| r.iter().find(|r| r.0 == id).map(|r| r.1).unwrap();
        let ordered = retrieved(&idx, &q, false, 0);
        assert!(score(&ordered, 1) > score(&ordered, 2));
        assert_eq!(score(&ordered, 1), B_EXACT);
        assert!(retrieved(&idx, &q, false, usize::MAX).iter().all(|r| r.1 == 0.0));
    }

    /// Two common words read through their pairs find the same records,
    /// with the same scores, as read word by word: through dictionary
    /// names, stems, spellings found by distance, case forms, heard-alike
    /// names (a pair found by ear holds neither word until its own keys
    /// say so) and two words that are both forms of one record word.
    #[test]
    fn pairs_find_what_the_words_find() {
        use crate::retrieve::PAIRED;
        use std::sync::atomic::Ordering;
        let idx = indexed(&sokolovs_and([
            rec(7, "Иванов", "Иван", "Иванович", None),
            rec(8, "Петров", "Ваня", "Соколович", None),
            rec(9, "Соколовский", "Пётр", "Иванович", None),
            rec(10, "Сокалова", "Анна", "Петровна", None),
        ]));
        let always = PairLimits { from: 0, term_from: 0 };
        let never = PairLimits { from: u64::MAX, term_from: 0 };
        let some_rare = PairLimits { from: 0, term_from: 2 };
        let mut paired = 0;
        for text in [
            "Соколов Иван",
            "Иван Петрович",
            "Соколова Мария",
            "Сокалов Иван",
            "Ваня Соколов",
            "Иван Иван",
            "Соколов Петрович",
            "Соколову Ивану Петровичу",
            "Іван Соколів",
            "Щербаков Юрий Николаевич",
            "Соколовский Петр",
            "Sokolov Ivan",
            "Sakalov Ivan Petrovich",
        ] {
            let q = Query::parse(text, None).unwrap();
            let before = PAIRED.load(Ordering::Relaxed);
            let by_pairs = retrieved_with(&idx, &q, false, 0, always);
            let led = PAIRED.load(Ordering::Relaxed) > before;
            paired += usize::from(led);
            let by_words = retrieved_with(&idx, &q, false, 0, never);
            assert!(!by_words.is_empty(), "{text}: something is found");
            assert_eq!(by_pairs, by_words, "{text}: pairs led: {led}");
            // Keys of one record are read whole, the others through pairs.
            assert_eq!(
                retrieved_with(&idx, &q, false, 0, some_rare),
                by_words,
                "{text}, keys of one record read whole"
            );
        }
        // Every one was led by pairs, Latin spellings too.
        assert_eq!(paired, 13, "led by pairs");
    }

    /// Fuzzy expansions are kept per segment: a record added after a typo
    /// was searched for (its own segment), and the same record after the
    /// segments merge, are found by the same typo.
    #[test]
    fn kept_expansions_follow_new_and_merged_segments() {
        let idx = sample();
        let typo = |idx: &NameIndex| {
            let q = Query::parse("Дорздов Юрий", None).unwrap();
            let hits = idx.search(&q, SearchOptions { limit: 10, public_only: true }).unwrap();
            hits.first().map(|h| {
                let fuzzy = h.matches.iter().flatten().any(|m| m.kind == crate::MatchKind::Fuzzy);
                (h.record.id, fuzzy)
            })
        };
        assert_eq!(typo(&idx), None, "no Дроздов yet");
        idx.upsert(&[rec(6, "Дроздов", "Юрий", "Ильич", None)]).unwrap();
        idx.commit().unwrap();
        assert_eq!(typo(&idx), Some((6, true)), "found in the new segment, by a spelling difference");
        idx.merge_segments().unwrap();
        idx.reload().unwrap();
        assert_eq!(typo(&idx), Some((6, true)), "found in the merged segment");
    }

    /// Every record a staff search for `text` finds, by id.
    fn found_ids(idx: &NameIndex, text: &str) -> Vec<u64> {
        let q = Query::parse(text, None).unwrap();
        let mut ids: Vec<u64> = idx
            .search(&q, SearchOptions { limit: 500, public_only: false })
            .unwrap()
            .iter()
            .map(|h| h.record.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// An index on disk, merges held, with `commits` commits of `each`
    /// records: Sokolovs, Sokolovas and Petrovs, all Petrovich.
    fn on_disk_in_commits(dir: &std::path::Path, commits: u64, each: u64) -> NameIndex {
        let idx = NameIndex::open(dir).unwrap();
        idx.hold_merges().unwrap();
        let names = [("Соколов", "Иван"), ("Соколова", "Мария"), ("Петров", "Иван"), ("Sokolov", "Ivan")];
        for batch in 0..commits {
            let recs: Vec<RecordDoc> = (0..each)
                .map(|i| {
                    let (s, g) = names[(i % 4) as usize];
                    rec(batch * each + i + 1, s, g, "Петрович", None)
                })
                .collect();
            idx.upsert(&recs).unwrap();
            idx.commit().unwrap();
        }
        idx
    }

    /// Searches that find records of [`on_disk_in_commits`].
    const DISK_QUERIES: [&str; 3] = ["Соколов Иван Петрович", "Петров Иван", "Sokolova Maria"];

    /// A build on disk in several segments, merged into one through reads
    /// by `pread`, finds what it found before, every record still there,
    /// and takes new records after.
    #[test]
    fn a_merge_on_disk_keeps_every_record() {
        let dir = tempfile::tempdir().unwrap();
        let idx = on_disk_in_commits(dir.path(), 4, 50);
        let before: Vec<Vec<u64>> = DISK_QUERIES.iter().map(|q| found_ids(&idx, q)).collect();
        assert!(idx.index.searchable_segment_ids().unwrap().len() >= 4, "a segment or more a commit");
        idx.merge_segments().unwrap();
        assert_eq!(idx.index.searchable_segment_ids().unwrap().len(), 1);
        assert_eq!(idx.num_docs(), 200);
        for (q, found) in DISK_QUERIES.iter().zip(&before) {
            assert!(!found.is_empty(), "{q}: found");
            assert_eq!(&found_ids(&idx, q), found, "{q}: the same after the merge");
        }
        idx.upsert(&[rec(1_000, "Дроздов", "Юрий", "Ильич", None)]).unwrap();
        idx.commit().unwrap();
        assert_eq!(found_ids(&idx, "Дроздов Юрий"), vec![1_000], "the merged index takes new records");
        idx.close_writer().unwrap();
        drop(idx);
        let again = NameIndex::open(dir.path()).unwrap();
        assert_eq!(again.num_docs(), 201, "what was merged is on disk");
    }

    /// An index kept resident finds what it found mapped, takes new
    /// records and merges, and holds copies of its live segments' files
    /// only: a merged segment's go with it.
    #[test]
    fn a_resident_index_finds_what_the_mapped_one_finds() {
        let dir = tempfile::tempdir().unwrap();
        let idx = on_disk_in_commits(dir.path(), 2, 20);
        let mapped: Vec<Vec<u64>> = DISK_QUERIES.iter().map(|q| found_ids(&idx, q)).collect();
        let reads = idx.reads.clone().unwrap();
        assert!(reads.resident_files().is_empty(), "mapped until asked");
        idx.keep_resident().unwrap();
        let files = |ext: &str| reads.resident_files().iter().filter(|p| p.extension().unwrap() == ext).count();
        let segments = || idx.index.searchable_segment_ids().unwrap().len();
        assert!(segments() >= 2, "a segment or more a commit");
        assert_eq!(
            (files("idx"), files("term")),
            (segments(), segments()),
            "every segment's postings and dictionaries"
        );
        for (q, found) in DISK_QUERIES.iter().zip(&mapped) {
            assert!(!found.is_empty(), "{q}: found");
            assert_eq!(&found_ids(&idx, q), found, "{q}: the same resident");
        }
        idx.upsert(&[rec(1_000, "Дроздов", "Юрий", "Ильич", None)]).unwrap();
        idx.commit().unwrap();
        assert_eq!(found_ids(&idx, "Дроздов Юрий"), vec![1_000], "a new segment is read too");
        assert_eq!(files("idx"), segments(), "the new segment's too");
        idx.merge_segments().unwrap();
        assert_eq!(segments(), 1);
        assert_eq!((files("idx"), files("term")), (1, 1), "the merged segment's alone");
        for (q, found) in DISK_QUERIES.iter().zip(&mapped) {
            assert_eq!(&found_ids(&idx, q), found, "{q}: the same merged");
        }
    }
}
