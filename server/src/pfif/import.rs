//! Reading a PFIF 1.4 file into validated registry records.
//!
//! As with CSV, the whole file is checked before anything is written, and
//! every problem names its line, the element (`person 3 (example.org/p1)`)
//! and the field, so the sender can fix the file in one pass. No DTD is
//! read and no entity but XML's five and character references is resolved.

use std::collections::HashMap;
use std::fmt;

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;
use time::OffsetDateTime;

use super::{dates, NAMESPACE};
use crate::records::{parse_name, parse_partial_date, parse_text, RecordInput, Sex, Status};

/// Largest file read (bytes).
pub const MAX_BYTES: usize = 128 * 1024 * 1024;
/// Most persons in one file.
pub const MAX_PERSONS: usize = 1_000_000;
/// Most notes about one person.
const MAX_NOTES: usize = 200;
/// Most elements in the whole file.
const MAX_ELEMENTS: u64 = 40_000_000;
/// Longest text of one field (characters), before the field's own limit.
const MAX_FIELD_CHARS: usize = 20_000;
/// Deepest nesting (pfif / person / note / field, plus ignored extensions).
const MAX_DEPTH: usize = 12;
/// Reading stops after this many problems.
const MAX_PROBLEMS: usize = 1_000;

/// The PFIF 1.4 person fields, in schema order.
const PERSON_FIELDS: [&str; 25] = [
    "person_record_id",
    "entry_date",
    "expiry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_name",
    "source_date",
    "source_url",
    "full_name",
    "given_name",
    "family_name",
    "alternate_names",
    "description",
    "sex",
    "date_of_birth",
    "age",
    "home_street",
    "home_neighborhood",
    "home_city",
    "home_state",
    "home_postal_code",
    "home_country",
    "photo_url",
    "profile_urls",
];

/// The PFIF 1.4 note fields.
const NOTE_FIELDS: [&str; 15] = [
    "note_record_id",
    "person_record_id",
    "linked_person_record_id",
    "entry_date",
    "author_name",
    "author_email",
    "author_phone",
    "source_date",
    "author_made_contact",
    "status",
    "email_of_found_person",
    "phone_of_found_person",
    "last_known_location",
    "text",
    "photo_url",
];

const NOTE_STATUSES: [&str; 5] =
    ["information_sought", "is_note_author", "believed_alive", "believed_missing", "believed_dead"];

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PfifProblem {
    /// 1-based line where the element starts.
    pub line: u64,
    /// The element: `person 3 (example.org/p1)`, `person 3, note 2`, `pfif`.
    pub element: String,
    /// The PFIF field, when the problem is in one.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for PfifProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, {}", self.line, self.element)?;
        if let Some(field) = &self.field {
            write!(f, ", <{field}>")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found; nothing was imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PfifErrors(pub Vec<PfifProblem>);

impl fmt::Display for PfifErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::csv_import::write_problems(f, &self.0)
    }
}

fn problem(line: u64, element: &str, field: Option<&str>, message: impl Into<String>) -> PfifProblem {
    PfifProblem { line, element: element.to_string(), field: field.map(str::to_string), message: message.into() }
}

/// A `<pfif:note>` as read: its fields in file order.
#[derive(Debug, Default)]
struct RawNote {
    line: u64,
    label: String,
    fields: Vec<(String, String)>,
}

/// A `<pfif:person>` as read.
#[derive(Debug, Default)]
struct RawPerson {
    line: u64,
    number: usize,
    fields: Vec<(String, String)>,
    notes: Vec<RawNote>,
}

impl RawPerson {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim())
    }

    fn label(&self) -> String {
        match self.get("person_record_id").filter(|id| !id.is_empty()) {
            Some(id) => format!("person {} ({id})", self.number),
            None => format!("person {}", self.number),
        }
    }
}

impl RawNote {
    fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim())
    }
}

/// Where the reader is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    Root,
    Person(usize),
    /// A note nested in person `.0` (index `.1` in its notes), or a
    /// top-level note (`None`, index into the loose notes).
    Note(Option<usize>, usize),
    Field(String),
    /// An element of another namespace (an extension) and all inside it.
    Ignored,
}

/// The XML half: the document's persons and notes, with the problems of
/// its structure. Fatal problems (not XML, wrong root) end the reading.
struct Reader<'a> {
    text: &'a str,
    /// Line counting, incremental: byte offset and line reached so far.
    counted: (usize, u64),
    persons: Vec<RawPerson>,
    loose_notes: Vec<RawNote>,
    problems: Vec<PfifProblem>,
    stack: Vec<Frame>,
    value: String,
}

enum Ns {
    Pfif,
    Other(String),
}

impl<'a> Reader<'a> {
    fn line_at(&mut self, pos: usize) -> u64 {
        let pos = pos.min(self.text.len());
        let (from, line) = self.counted;
        if pos >= from {
            let more = self.text.as_bytes()[from..pos].iter().filter(|&&b| b == b'\n').count() as u64;
            self.counted = (pos, line + more);
        } else {
            let line = self.text.as_bytes()[..pos].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            return line;
        }
        self.counted.1
    }

    /// The element the reader is inside, for messages.
    fn where_(&self) -> String {
        for f in self.stack.iter().rev() {
            match f {
                Frame::Person(i) => return self.persons[*i].label(),
                Frame::Note(Some(p), n) => return format!("{}, note {}", self.persons[*p].label(), n + 1),
                Frame::Note(None, n) => return self.loose_notes[*n].label.clone(),
                _ => {}
            }
        }
        "pfif".into()
    }

    fn field_name(&self) -> Option<&str> {
        match self.stack.last() {
            Some(Frame::Field(name)) => Some(name),
            _ => None,
        }
    }

    fn push_problem(&mut self, line: u64, field: Option<&str>, message: impl Into<String>) {
        let element = self.where_();
        self.problems.push(problem(line, &element, field, message));
    }

    /// Text inside the current element: kept in a field, refused elsewhere.
    fn text(&mut self, line: u64, s: &str) {
        match self.stack.last() {
            Some(Frame::Field(_)) => {
                if self.value.chars().count() + s.chars().count() > MAX_FIELD_CHARS {
                    if self.value.len() <= MAX_FIELD_CHARS * 4 {
                        let field = self.field_name().map(str::to_string);
                        self.push_problem(
                            line,
                            field.as_deref(),
                            format!("is longer than {MAX_FIELD_CHARS} characters"),
                        );
                        // Mark it so the problem is reported once.
                        self.value = "x".repeat(MAX_FIELD_CHARS * 4 + 1);
                    }
                } else {
                    self.value.push_str(s);
                }
            }
            Some(Frame::Ignored) => {}
            _ if s.trim().is_empty() => {}
            _ => self.push_problem(line, None, format!("text {:?} outside a field", s.trim())),
        }
    }

    fn start(&mut self, line: u64, ns: Ns, local: &str) -> Result<(), ()> {
        if self.stack.len() >= MAX_DEPTH {
            self.push_problem(line, None, format!("elements are nested more than {MAX_DEPTH} deep"));
            return Err(());
        }
        let top = self.stack.last().cloned();
        let frame = match (top, ns) {
            (None, Ns::Pfif) if local == "pfif" => Frame::Root,
            (None, ns) => {
                let message = match ns {
                    Ns::Other(n) if local == "pfif" && n.starts_with("http://zesty.ca/pfif/") => format!(
                        "this is PFIF in namespace {n:?}; only PFIF 1.4 ({NAMESPACE}) is read: ask the sender for a 1.4 export"
                    ),
                    Ns::Other(n) if n.is_empty() => format!(
                        "the root element is <{local}> without a namespace; expected <pfif:pfif xmlns:pfif=\"{NAMESPACE}\">"
                    ),
                    Ns::Other(n) => format!(
                        "the root element is <{local}> in namespace {n:?}; expected <pfif:pfif xmlns:pfif=\"{NAMESPACE}\">"
                    ),
                    Ns::Pfif => format!("the root element is <pfif:{local}>; expected <pfif:pfif>"),
                };
                self.problems.push(problem(line, "pfif", None, message));
                return Err(());
            }
            (Some(Frame::Ignored), _) | (_, Ns::Other(_)) => Frame::Ignored,
            (Some(Frame::Root), Ns::Pfif) if local == "person" => {
                if self.persons.len() >= MAX_PERSONS {
                    self.push_problem(line, None, format!("more than {MAX_PERSONS} persons; split the file"));
                    return Err(());
                }
                let number = self.persons.len() + 1;
                self.persons.push(RawPerson { line, number, ..RawPerson::default() });
                Frame::Person(number - 1)
            }
            (Some(Frame::Root), Ns::Pfif) if local == "note" => {
                let n = self.loose_notes.len();
                self.loose_notes.push(RawNote { line, label: format!("note {}", n + 1), fields: Vec::new() });
                Frame::Note(None, n)
            }
            (Some(Frame::Root), Ns::Pfif) => {
                self.push_problem(line, None, format!("unknown element <pfif:{local}>; expected person or note"));
                Frame::Ignored
            }
            (Some(Frame::Person(p)), Ns::Pfif) if local == "note" => {
                let notes = &mut self.persons[p].notes;
                if notes.len() >= MAX_NOTES {
                    self.push_problem(line, None, format!("more than {MAX_NOTES} notes"));
                    Frame::Ignored
                } else {
                    notes.push(RawNote { line, ..RawNote::default() });
                    Frame::Note(Some(p), notes.len() - 1)
                }
            }
            (Some(Frame::Person(_)), Ns::Pfif) => {
                if !PERSON_FIELDS.contains(&local) {
                    self.push_problem(line, Some(local), "unknown PFIF 1.4 person field");
                }
                Frame::Field(local.to_string())
            }
            (Some(Frame::Note(..)), Ns::Pfif) => {
                if !NOTE_FIELDS.contains(&local) {
                    self.push_problem(line, Some(local), "unknown PFIF 1.4 note field");
                }
                Frame::Field(local.to_string())
            }
            (Some(Frame::Field(f)), Ns::Pfif) => {
                self.push_problem(line, Some(&f), format!("contains an element <pfif:{local}>; fields hold text only"));
                Frame::Ignored
            }
        };
        if matches!(frame, Frame::Field(_)) {
            self.value.clear();
        }
        self.stack.push(frame);
        Ok(())
    }

    fn end(&mut self) {
        let Some(frame) = self.stack.pop() else { return };
        if let Frame::Field(name) = frame {
            let value = std::mem::take(&mut self.value);
            let fields = match self.stack.last() {
                Some(Frame::Person(p)) => &mut self.persons[*p].fields,
                Some(Frame::Note(Some(p), n)) => &mut self.persons[*p].notes[*n].fields,
                Some(Frame::Note(None, n)) => &mut self.loose_notes[*n].fields,
                _ => return,
            };
            fields.push((name, value));
        }
    }

    /// Reads the document; `false` when a fatal problem ended the reading
    /// (then the persons read so far are incomplete and not checked).
    fn read(&mut self) -> bool {
        let mut xml = NsReader::from_str(self.text);
        let mut elements = 0u64;
        let mut root_done = false;
        loop {
            if self.problems.len() >= MAX_PROBLEMS {
                return false;
            }
            let pos = xml.buffer_position() as usize;
            let (ns, event) = match xml.read_resolved_event() {
                Ok((ResolveResult::Bound(Namespace(n)), e)) if n == NAMESPACE => (Ns::Pfif, e),
                Ok((ResolveResult::Bound(Namespace(n)), e)) => (Ns::Other(n.to_string()), e),
                Ok((_, e)) => (Ns::Other(String::new()), e),
                Err(e) => {
                    let line = self.line_at(xml.error_position() as usize);
                    self.push_problem(line, None, format!("not well-formed XML: {e}"));
                    return false;
                }
            };
            // Where the event starts, past the whitespace before it.
            let rest = self.text.get(pos..).unwrap_or("");
            let line = self.line_at(pos + rest.len() - rest.trim_start().len());
            match event {
                Event::Start(_) | Event::Empty(_) if root_done => {
                    self.problems.push(problem(line, "pfif", None, "a second root element after </pfif:pfif>"));
                    return false;
                }
                Event::Start(e) => {
                    elements += 1;
                    if elements > MAX_ELEMENTS {
                        self.push_problem(line, None, format!("more than {MAX_ELEMENTS} elements"));
                        return false;
                    }
                    if self.start(line, ns, e.local_name().as_ref()).is_err() {
                        return false;
                    }
                }
                Event::Empty(e) => {
                    elements += 1;
                    if self.start(line, ns, e.local_name().as_ref()).is_err() {
                        return false;
                    }
                    self.end();
                    root_done = self.stack.is_empty();
                }
                Event::End(_) => {
                    self.end();
                    root_done = self.stack.is_empty();
                }
                Event::Text(t) => self.text(line, &t.xml10_content()),
                Event::CData(c) => self.text(line, &c.into_inner()),
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        match r.resolve_char_ref() {
                            Ok(Some(c)) if !c.is_control() || matches!(c, '\n' | '\t' | '\r') => Some(c.to_string()),
                            _ => None,
                        }
                    } else {
                        quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string)
                    };
                    match resolved {
                        Some(s) => self.text(line, &s),
                        None => {
                            let field = self.field_name().map(str::to_string);
                            self.push_problem(
                                line,
                                field.as_deref(),
                                format!(
                                    "unknown or forbidden reference &{}; (only XML's five entities and character references are read)",
                                    r.into_inner()
                                ),
                            );
                            return false;
                        }
                    }
                }
                Event::DocType(_) => {
                    self.problems.push(problem(
                        line,
                        "pfif",
                        None,
                        "a DOCTYPE declaration; PFIF files need none and entities are not read",
                    ));
                    return false;
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => {
                    if !root_done && self.problems.is_empty() {
                        let line = self.line_at(self.text.len());
                        let message = if self.stack.is_empty() {
                            "the file has no <pfif:pfif> element".to_string()
                        } else {
                            "the file ends inside an element".to_string()
                        };
                        self.push_problem(line, None, message);
                        return false;
                    }
                    return true;
                }
            }
        }
    }
}

/// Checks the encoding (UTF-8, an optional BOM), naming the line of the
/// first bad byte.
fn as_utf8(bytes: &[u8]) -> Result<&str, PfifErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        PfifErrors(vec![problem(line, "pfif", None, "the file is not UTF-8 text; PFIF files are UTF-8")])
    })
}

/// Parses and validates a whole PFIF 1.4 file. Every person becomes a
/// record with `status` (the operator's statement for the whole file: PFIF
/// has no field for it), checked against the person's latest note status.
/// `progress` is called with the number of persons checked.
pub fn parse(bytes: &[u8], status: Status, progress: &mut dyn FnMut(u64)) -> Result<Vec<RecordInput>, PfifErrors> {
    if bytes.len() > MAX_BYTES {
        return Err(PfifErrors(vec![problem(
            1,
            "pfif",
            None,
            format!("the file has {} bytes, more than the {} MiB read at once; split it", bytes.len(), MAX_BYTES >> 20),
        )]));
    }
    let text = as_utf8(bytes)?;
    let mut r = Reader {
        text,
        counted: (0, 1),
        persons: Vec::new(),
        loose_notes: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        value: String::new(),
    };
    let complete = r.read();
    let Reader { persons, loose_notes, mut problems, .. } = r;
    if !complete || problems.len() >= MAX_PROBLEMS {
        return Err(PfifErrors(problems));
    }
    let mut persons = persons;
    attach_loose_notes(&mut persons, loose_notes, &mut problems);
    let now = OffsetDateTime::now_utc();
    let mut out = Vec::with_capacity(persons.len());
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, p) in persons.iter().enumerate() {
        if (i + 1).is_multiple_of(1000) {
            progress(i as u64 + 1);
        }
        match map_person(p, status, now) {
            Ok(rec) => {
                if let Some(first) = seen.insert(rec.external_id.clone(), p.line) {
                    problems.push(problem(
                        p.line,
                        &p.label(),
                        Some("person_record_id"),
                        format!("also on line {first}; each person once per file"),
                    ));
                } else {
                    out.push(rec);
                }
            }
            Err(mut e) => problems.append(&mut e),
        }
    }
    progress(persons.len() as u64);
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(PfifErrors(problems))
    }
}

/// Top-level notes join their person by `person_record_id`; a note about
/// a person the file does not hold is a problem (there is nothing to
/// attach it to, and the registry keeps no loose notes).
fn attach_loose_notes(persons: &mut [RawPerson], notes: Vec<RawNote>, problems: &mut Vec<PfifProblem>) {
    let index: HashMap<String, usize> = persons
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.get("person_record_id").map(|id| (id.to_string(), i)))
        .collect();
    for mut n in notes {
        if let Some(id) = n.get("note_record_id").filter(|s| !s.is_empty()) {
            n.label = format!("{} ({id})", n.label);
        }
        match n.get("person_record_id").filter(|s| !s.is_empty()).map(str::to_string) {
            None => problems.push(problem(
                n.line,
                &n.label,
                Some("person_record_id"),
                "is missing; a note needs its person",
            )),
            Some(id) => match index.get(&id) {
                Some(&i) => persons[i].notes.push(n),
                None => problems.push(problem(
                    n.line,
                    &n.label,
                    Some("person_record_id"),
                    format!("{id:?} is not a person in this file; notes are imported with their person only"),
                )),
            },
        }
    }
}

/// Collects the problems of one person while its fields are mapped.
struct Check<'a> {
    p: &'a RawPerson,
    label: String,
    problems: Vec<PfifProblem>,
}

impl Check<'_> {
    fn fail(&mut self, line: u64, element: Option<&str>, field: &str, message: impl Into<String>) {
        let element = element.map_or_else(|| self.label.clone(), str::to_string);
        self.problems.push(problem(line, &element, Some(field), message));
    }

    fn field<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.p.get(name).unwrap_or("");
        parse(value).map_err(|m| self.fail(self.p.line, None, name, m)).ok()
    }
}

fn map_person(p: &RawPerson, status: Status, now: OffsetDateTime) -> Result<RecordInput, Vec<PfifProblem>> {
    let mut c = Check { p, label: p.label(), problems: Vec::new() };
    for (i, (name, _)) in p.fields.iter().enumerate() {
        if p.fields[..i].iter().any(|(n, _)| n == name) {
            c.fail(p.line, None, name, "appears twice");
        }
    }
    let external_id = c.field("person_record_id", parse_record_id).unwrap_or_default();
    for date in ["entry_date", "source_date", "expiry_date"] {
        if let Some(Some(at)) = c.field(date, |s| (!s.is_empty()).then(|| dates::parse(s)).transpose()) {
            if date == "expiry_date" && at <= now {
                c.fail(p.line, None, date, "has passed; PFIF records must not be kept after they expire");
            }
        }
    }
    let surname = c.field("family_name", |s| required_name(s, "family_name")).unwrap_or_default();
    let given_name = c.field("given_name", |s| required_name(s, "given_name")).unwrap_or_default();
    let patronymic = c.field("full_name", |s| patronymic_of(s, &surname, &given_name)).unwrap_or_default();
    let sex = c.field("sex", parse_sex).flatten();
    let birth_date = c.field("date_of_birth", parse_partial_date).flatten();
    let region = c.field("home_state", |s| parse_text(s, 200)).flatten();
    let source = c.field("source_name", |_| parse_text(&source_of(p), 500)).flatten();
    let notes = c.field("description", |_| parse_text(&notes_of(p), 4000)).flatten();
    check_notes(&mut c, status);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    Ok(RecordInput {
        external_id,
        surname,
        given_name,
        patronymic,
        sex,
        birth_date,
        birth_place: None,
        region,
        unit: None,
        rank: None,
        status,
        status_date: None,
        status_place: None,
        source,
        notes,
    })
}

/// `domain/unique-id`, short enough for an `external_id`.
fn parse_record_id(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("is missing; every person needs its PFIF record id (domain/id)".into());
    }
    match s.split_once('/') {
        Some((domain, id)) if !domain.is_empty() && !id.is_empty() => {}
        _ => return Err(format!("{s:?} is not domain/id")),
    }
    if s.chars().count() > 64 {
        return Err(format!("{s:?} is longer than 64 characters, the registry's limit for an external id"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{s:?} contains spaces or control characters"));
    }
    Ok(s.to_string())
}

fn required_name(s: &str, field: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err(format!(
            "is missing; the registry keeps surname and given name apart, and a full_name alone cannot be split \
             safely (ask the sender to fill {field})"
        ));
    }
    parse_name(s, true)
}

/// The patronymic is what `full_name` holds besides the family and given
/// names, when it reads "family given rest" (the registry's order) or
/// "given rest family"; otherwise there is none.
fn patronymic_of(full: &str, family: &str, given: &str) -> Result<String, String> {
    let words: Vec<String> = full.split_whitespace().map(str::to_lowercase).collect();
    let fam: Vec<String> = family.split_whitespace().map(str::to_lowercase).collect();
    let giv: Vec<String> = given.split_whitespace().map(str::to_lowercase).collect();
    if fam.is_empty() || giv.is_empty() {
        return Ok(String::new());
    }
    let original: Vec<&str> = full.split_whitespace().collect();
    let rest = if words.starts_with(&fam) && words[fam.len()..].starts_with(&giv) {
        &original[fam.len() + giv.len()..]
    } else if words.starts_with(&giv) && words.ends_with(&fam) && words.len() >= giv.len() + fam.len() {
        &original[giv.len()..original.len() - fam.len()]
    } else {
        &[][..]
    };
    parse_name(&rest.join(" "), false).map_err(|e| format!("the patronymic in it {e}"))
}

fn parse_sex(s: &str) -> Result<Option<Sex>, String> {
    match s {
        "" | "other" => Ok(None),
        "male" => Ok(Some(Sex::Male)),
        "female" => Ok(Some(Sex::Female)),
        other => Err(format!("{other:?} is not a PFIF sex; expected female, male or other")),
    }
}

/// Where the record came from, for staff: `PFIF: source_name, source_url, source_date`.
fn source_of(p: &RawPerson) -> String {
    let parts: Vec<&str> = ["source_name", "source_url", "source_date"]
        .into_iter()
        .filter_map(|f| p.get(f))
        .filter(|s| !s.is_empty())
        .collect();
    format!("PFIF {}: {}", p.get("person_record_id").unwrap_or(""), parts.join(", "))
}

/// The person's description and other names, kept as staff notes.
fn notes_of(p: &RawPerson) -> String {
    let mut parts = Vec::new();
    if let Some(d) = p.get("description").filter(|s| !s.is_empty()) {
        parts.push(d.to_string());
    }
    if let Some(a) = p.get("alternate_names").filter(|s| !s.is_empty()) {
        parts.push(format!("Other names: {a}"));
    }
    parts.join("\n")
}

/// Notes are checked, not stored: their status must be a PFIF one, their
/// dates PFIF dates, and the latest status must not contradict the status
/// the operator gave for the file (alive against dead, or the reverse).
fn check_notes(c: &mut Check<'_>, status: Status) {
    let own_id = c.p.get("person_record_id").unwrap_or("").to_string();
    let mut latest: Option<(Option<OffsetDateTime>, usize, &str)> = None;
    for (i, n) in c.p.notes.iter().enumerate() {
        let label = if n.label.is_empty() { format!("{}, note {}", c.label, i + 1) } else { n.label.clone() };
        for (j, (name, _)) in n.fields.iter().enumerate() {
            if n.fields[..j].iter().any(|(m, _)| m == name) {
                c.fail(n.line, Some(&label), name, "appears twice");
            }
        }
        if let Some(id) = n.get("person_record_id").filter(|s| !s.is_empty()) {
            if id != own_id {
                c.fail(
                    n.line,
                    Some(&label),
                    "person_record_id",
                    format!("{id:?} is not this note's person {own_id:?}"),
                );
            }
        }
        let mut at = None;
        for date in ["entry_date", "source_date"] {
            if let Some(s) = n.get(date).filter(|s| !s.is_empty()) {
                match dates::parse(s) {
                    Ok(t) => at = at.or(Some(t)),
                    Err(m) => c.fail(n.line, Some(&label), date, m),
                }
            }
        }
        match n.get("status").filter(|s| !s.is_empty()) {
            Some(s) if !NOTE_STATUSES.contains(&s) => c.fail(
                n.line,
                Some(&label),
                "status",
                format!("{s:?} is not a PFIF status; expected {}", NOTE_STATUSES.join(", ")),
            ),
            // The newest dated note wins; undated ones count in file order.
            Some(s) if latest.as_ref().is_none_or(|(t, _, _)| at >= *t) => latest = Some((at, i, s)),
            Some(_) | None => {}
        }
        if let Some(s) = n.get("author_made_contact").filter(|s| !s.is_empty()) {
            if s != "true" && s != "false" {
                c.fail(n.line, Some(&label), "author_made_contact", format!("{s:?} is not true or false"));
            }
        }
    }
    if let Some((_, i, s)) = latest {
        let alive = matches!(status, Status::Captured | Status::Released);
        let contradicts = (s == "believed_dead" && alive) || (s == "believed_alive" && !alive);
        if contradicts {
            let n = &c.p.notes[i];
            let label = if n.label.is_empty() { format!("{}, note {}", c.label, i + 1) } else { n.label.clone() };
            c.fail(
                n.line,
                Some(&label),
                "status",
                format!(
                    "the latest note says {s} but the file is being imported with status {}; import this person with the other persons of that status",
                    status.as_str()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(persons: &str) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pfif:pfif xmlns:pfif=\"{NAMESPACE}\">\n{persons}</pfif:pfif>\n")
    }

    const GOOD: &str = "  <pfif:person>
    <pfif:person_record_id>other.example.org/p1</pfif:person_record_id>
    <pfif:entry_date>2024-01-02T03:04:05Z</pfif:entry_date>
    <pfif:source_name>Other service</pfif:source_name>
    <pfif:full_name>Иванов Пётр Сергеевич</pfif:full_name>
    <pfif:given_name>Пётр</pfif:given_name>
    <pfif:family_name>Иванов</pfif:family_name>
    <pfif:sex>male</pfif:sex>
    <pfif:date_of_birth>1990-05</pfif:date_of_birth>
    <pfif:home_state>Тульская область</pfif:home_state>
    <pfif:home_city>Тула</pfif:home_city>
    <pfif:photo_url>https://example.org/p.jpg</pfif:photo_url>
    <pfif:note>
      <pfif:note_record_id>other.example.org/n1</pfif:note_record_id>
      <pfif:entry_date>2024-01-03T00:00:00Z</pfif:entry_date>
      <pfif:status>believed_alive</pfif:status>
      <pfif:text>seen in a video</pfif:text>
    </pfif:note>
  </pfif:person>
";

    fn parse_str(s: &str) -> Result<Vec<RecordInput>, PfifErrors> {
        parse(s.as_bytes(), Status::Captured, &mut |_| {})
    }

    fn only(s: &str) -> PfifProblem {
        let e = parse_str(s).unwrap_err();
        assert_eq!(e.0.len(), 1, "{e}");
        e.0[0].clone()
    }

    fn person(fields: &str) -> String {
        doc(&format!("  <pfif:person>\n{fields}  </pfif:person>\n"))
    }

    const NAME: &str = "<pfif:person_record_id>x.org/1</pfif:person_record_id><pfif:full_name>Петров Иван</pfif:full_name><pfif:given_name>Иван</pfif:given_name><pfif:family_name>Петров</pfif:family_name>\n";

    #[test]
    fn a_person_maps_to_a_record() {
        let recs = parse_str(&doc(GOOD)).unwrap();
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.external_id, "other.example.org/p1");
        assert_eq!((r.surname.as_str(), r.given_name.as_str(), r.patronymic.as_str()), ("Иванов", "Пётр", "Сергеевич"));
        assert_eq!(r.sex, Some(Sex::Male));
        assert_eq!(r.birth_date.as_deref(), Some("1990-05"));
        assert_eq!(r.region.as_deref(), Some("Тульская область"));
        assert_eq!(r.status, Status::Captured);
        assert_eq!(r.source.as_deref(), Some("PFIF other.example.org/p1: Other service"));
        // An address is not a birth place, and photos are never fetched.
        assert_eq!((r.birth_place.as_deref(), r.notes.as_deref()), (None, None));
    }

    #[test]
    fn patronymic_comes_from_the_full_name_in_either_order() {
        assert_eq!(patronymic_of("Иванов Пётр Сергеевич", "Иванов", "Пётр").unwrap(), "Сергеевич");
        assert_eq!(patronymic_of("Пётр Сергеевич Иванов", "Иванов", "Пётр").unwrap(), "Сергеевич");
        assert_eq!(patronymic_of("John Smith", "Smith", "John").unwrap(), "");
        assert_eq!(patronymic_of("Somebody Else", "Smith", "John").unwrap(), "");
        assert!(patronymic_of("Иванов Пётр С3", "Иванов", "Пётр").is_err());
    }

    #[test]
    fn entities_cdata_and_top_level_notes_are_read() {
        let x = doc(&format!(
            "  <pfif:person>{}<pfif:description><![CDATA[a <b>]]> &amp; &#x41;</pfif:description></pfif:person>
  <pfif:note><pfif:person_record_id>x.org/1</pfif:person_record_id><pfif:status>believed_dead</pfif:status></pfif:note>\n",
            NAME.trim_end()
        ));
        let recs = parse(x.as_bytes(), Status::Deceased, &mut |_| {}).unwrap();
        assert_eq!(recs[0].notes.as_deref(), Some("a <b> & A"));
        let e = parse(x.as_bytes(), Status::Captured, &mut |_| {}).unwrap_err();
        assert_eq!(e.0[0].field.as_deref(), Some("status"), "{e}");
        assert!(e.0[0].message.contains("believed_dead"), "{e}");
    }

    #[test]
    fn wrong_namespace_or_version_is_refused() {
        let e = only(&doc(GOOD).replace("pfif/1.4", "pfif/1.3"));
        assert!(e.message.contains("only PFIF 1.4"), "{e}");
        let e = only("<pfif><person/></pfif>");
        assert!(e.message.contains("without a namespace"), "{e}");
        let e = only("<x:pfif xmlns:x=\"urn:other\"/>");
        assert!(e.message.contains("urn:other"), "{e}");
    }

    #[test]
    fn missing_record_id_and_names_are_named() {
        let e = only(&person("<pfif:full_name>Петров Иван</pfif:full_name><pfif:given_name>Иван</pfif:given_name><pfif:family_name>Петров</pfif:family_name>\n"));
        assert_eq!((e.element.as_str(), e.field.as_deref()), ("person 1", Some("person_record_id")));
        let e2 = parse_str(&person(
            "<pfif:person_record_id>x.org/9</pfif:person_record_id><pfif:full_name>Петров Иван</pfif:full_name>\n",
        ))
        .unwrap_err();
        assert_eq!(e2.0.len(), 2, "{e2}");
        assert!(e2.to_string().contains("person 1 (x.org/9), <family_name>"), "{e2}");
        assert!(e2.0.iter().any(|p| p.field.as_deref() == Some("family_name")));
        assert!(e2.0.iter().any(|p| p.field.as_deref() == Some("given_name")));
        assert!(only(&person(&NAME.replace("x.org/1", "nodomain"))).message.contains("domain/id"));
    }

    #[test]
    fn bad_dates_sex_and_fields_are_named() {
        let with = |extra: &str| only(&person(&format!("{NAME}{extra}\n")));
        let e = with("<pfif:date_of_birth>13.05.1990</pfif:date_of_birth>");
        assert_eq!((e.field.as_deref(), e.line), (Some("date_of_birth"), 3));
        assert!(e.to_string().starts_with("line 3, person 1 (x.org/1), <date_of_birth>: malformed date"), "{e}");
        assert_eq!(with("<pfif:entry_date>2024-01-02</pfif:entry_date>").field.as_deref(), Some("entry_date"));
        assert_eq!(
            with("<pfif:expiry_date>2001-01-01T00:00:00Z</pfif:expiry_date>").field.as_deref(),
            Some("expiry_date")
        );
        assert_eq!(with("<pfif:sex>m</pfif:sex>").field.as_deref(), Some("sex"));
        assert!(with("<pfif:eye_color>blue</pfif:eye_color>").message.contains("unknown PFIF 1.4 person field"));
        assert!(with("<pfif:full_name>x</pfif:full_name>").message.contains("twice"));
        assert!(with("<pfif:home_state><pfif:x/></pfif:home_state>").message.contains("text only"));
        let e = with("<pfif:note><pfif:status>found</pfif:status></pfif:note>");
        assert_eq!((e.element.as_str(), e.field.as_deref()), ("person 1 (x.org/1), note 1", Some("status")));
        // Other namespaces are extensions, and are ignored.
        assert!(parse_str(&person(&format!("{NAME}<ext:x xmlns:ext=\"urn:e\"><ext:y>1</ext:y></ext:x>\n"))).is_ok());
    }

    #[test]
    fn duplicates_and_loose_notes_are_refused() {
        let e = only(&doc(&format!("<pfif:person>{NAME}</pfif:person>\n<pfif:person>{NAME}</pfif:person>\n")));
        assert!(e.message.contains("also on line 3"), "{e}");
        let e = only(&doc(&format!(
            "<pfif:person>{NAME}</pfif:person>\n<pfif:note><pfif:person_record_id>x.org/2</pfif:person_record_id></pfif:note>\n"
        )));
        assert!(e.element.starts_with("note 1"), "{e}");
    }

    #[test]
    fn broken_xml_doctype_entities_and_encoding_are_refused_without_panic() {
        let e = only(&doc(GOOD).replace("</pfif:given_name>", "</pfif:given>"));
        assert!(e.message.contains("not well-formed"), "{e}");
        let e = only(&format!("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}", doc(GOOD)));
        assert!(e.message.contains("DOCTYPE"), "{e}");
        let e = only(&person(&NAME.replace("Петров</pfif:family", "&e;</pfif:family")));
        assert!(e.message.contains("&e;"), "{e}");
        assert!(only("").message.contains("no <pfif:pfif>"));
        assert!(
            only(&doc(GOOD)[..200]).message.contains("ends inside")
                || only(&doc(GOOD)[..200]).message.contains("well-formed")
        );
        let e = parse(
            b"<pfif:pfif xmlns:pfif=\"http://zesty.ca/pfif/1.4\">\xC8\xE2</pfif:pfif>",
            Status::Captured,
            &mut |_| {},
        )
        .unwrap_err();
        assert!(e.0[0].message.contains("UTF-8"));
        assert!(only(&format!("{}<x/>", doc(GOOD))).message.contains("second root"));
        let deep = format!("{}{}", "<ext:a xmlns:ext=\"urn:e\">".repeat(20), "</ext:a>".repeat(20));
        assert!(only(&person(&format!("{NAME}{deep}"))).message.contains("nested"));
        let big = vec![b' '; MAX_BYTES + 1];
        assert!(parse(&big, Status::Captured, &mut |_| {}).unwrap_err().0[0].message.contains("MiB"));
    }

    #[test]
    fn every_problem_of_the_file_is_listed() {
        let bad = |id: &str| {
            format!("<pfif:person><pfif:person_record_id>{id}</pfif:person_record_id><pfif:date_of_birth>x</pfif:date_of_birth></pfif:person>\n")
        };
        let e = parse_str(&doc(&format!("{}{}", bad("a/1"), bad("a/2")))).unwrap_err();
        // Two persons, three problems each (family_name, given_name, date_of_birth).
        assert_eq!(e.0.len(), 6, "{e}");
        assert!(e.to_string().starts_with("6 problem(s) found; nothing was imported"));
    }

    #[test]
    fn cut_and_damaged_files_never_panic() {
        let good = doc(GOOD);
        for end in (0..good.len()).filter(|&i| good.is_char_boundary(i)) {
            let _ = parse_str(&good[..end]);
        }
        let bytes = good.as_bytes();
        for (i, b) in [b'<', b'>', b'&', b'/', b'"', 0xFF, b'\0'].into_iter().cycle().take(bytes.len() * 2).enumerate()
        {
            let mut damaged = bytes.to_vec();
            damaged[(i * 7919) % bytes.len()] = b;
            let _ = parse(&damaged, Status::Captured, &mut |_| {});
        }
    }
}
