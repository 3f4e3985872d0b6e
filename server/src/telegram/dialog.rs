//! The contact-request questionnaire as a pure state machine: the stored
//! [`Dialog`] and an [`Input`] give the next state and what to say
//! ([`Outcome`]). No I/O here — the bot stores the dialog, downloads
//! photos and submits; tests drive it directly.
//!
//! Each answer is checked with the web form's own rules
//! ([`crate::requests::validate`]), field by field, so an error names the
//! field at once. The chat itself is the relative's contact, so the form's
//! "give at least one contact" rule is met by it.

use serde::{Deserialize, Serialize};

use crate::requests::{validate, RequestInput, MAX_PHOTOS};

/// The questions, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    SoughtName,
    SoughtBirth,
    SoughtBirthPlace,
    SoughtRegion,
    SoughtUnit,
    Marks,
    RequesterName,
    Relationship,
    Email,
    Phone,
    FreeText,
    Photos,
    /// The summary, waiting for "send".
    Confirm,
    /// Submitted as `reference`: a repeated "send" answers with it.
    Sent,
}

impl Field {
    const ORDER: [Field; 14] = [
        Field::SoughtName,
        Field::SoughtBirth,
        Field::SoughtBirthPlace,
        Field::SoughtRegion,
        Field::SoughtUnit,
        Field::Marks,
        Field::RequesterName,
        Field::Relationship,
        Field::Email,
        Field::Phone,
        Field::FreeText,
        Field::Photos,
        Field::Confirm,
        Field::Sent,
    ];

    /// The field's name in [`RequestInput`] and in `validate`'s errors.
    pub fn name(self) -> &'static str {
        match self {
            Field::SoughtName => "sought_name",
            Field::SoughtBirth => "sought_birth",
            Field::SoughtBirthPlace => "sought_birth_place",
            Field::SoughtRegion => "sought_region",
            Field::SoughtUnit => "sought_unit",
            Field::Marks => "marks",
            Field::RequesterName => "requester_name",
            Field::Relationship => "relationship",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::FreeText => "free_text",
            Field::Photos => "photos",
            Field::Confirm => "confirm",
            Field::Sent => "sent",
        }
    }

    /// Whether "skip" is offered.
    pub fn optional(self) -> bool {
        !matches!(self, Field::SoughtName | Field::RequesterName | Field::Relationship | Field::Confirm | Field::Sent)
    }

    /// The question after this one.
    pub fn next(self) -> Field {
        let i = Field::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        Field::ORDER.get(i + 1).copied().unwrap_or(Field::Sent)
    }

    /// Whether the field takes typed text.
    pub fn takes_text(self) -> bool {
        !matches!(self, Field::Photos | Field::Confirm | Field::Sent)
    }
}

/// A questionnaire in progress, stored per chat as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dialog {
    /// Numbers the chat's questionnaires: with the chat id it makes the
    /// submission's idempotency key, so a repeated "send" never makes two requests.
    pub id: i64,
    pub at: Field,
    pub input: RequestInput,
    /// The "possible match" line of the search hit it was started from.
    pub candidate_label: Option<String>,
    /// Photos kept so far (under [`Dialog::key`]).
    pub photos: usize,
    /// Set once submitted.
    pub reference: Option<String>,
}

/// What the relative did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    Text(&'a str),
    Skip,
    /// "Done" on the photo step.
    Done,
    /// "Send" under the summary, naming the dialog it was shown for.
    Send(i64),
    /// A photo was kept for this dialog.
    PhotoKept,
}

/// What the bot says and does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Ask this question (the dialog moved to it).
    Ask(Field),
    /// The answer does not fit `field`: the translation key of why; the
    /// question stands.
    Invalid { field: Field, key: &'static str },
    /// Show the summary with "send".
    Summary,
    /// Store this request (consent given by pressing "send").
    Submit(Box<RequestInput>),
    /// Already sent as this reference.
    AlreadySent(String),
    /// The input does not belong here (a stale button, a photo at a text
    /// question): say what is expected now.
    Repeat(Field),
}

/// Whether a Telegram user name passes the form's rule for the field.
fn handle_ok(handle: &str) -> bool {
    let probe = RequestInput { telegram: handle.to_string(), ..RequestInput::default() };
    !validate(&probe).iter().any(|(f, _)| *f == "telegram")
}

/// The form's "give at least one contact" rule: in the chat, the chat is the contact.
const CONTACT_RULE: (&str, &str) = ("email", "request.error.contact");

impl Dialog {
    /// A new questionnaire in `language`; from a search hit when
    /// `candidate` is (public reference, full name, "possible match" line).
    pub fn start(id: i64, language: &str, telegram: Option<&str>, candidate: Option<(&str, &str, &str)>) -> Dialog {
        let mut input = RequestInput {
            language: language.to_string(),
            // A user name the form would refuse (an old short one) is left
            // out: the chat is the contact anyway.
            telegram: telegram.filter(|h| handle_ok(h)).unwrap_or_default().to_string(),
            ..RequestInput::default()
        };
        let (at, label) = match candidate {
            Some((reference, name, line)) => {
                input.candidate = reference.to_string();
                input.sought_name = name.to_string();
                (Field::SoughtBirth, Some(line.to_string()))
            }
            None => (Field::SoughtName, None),
        };
        Dialog { id, at, input, candidate_label: label, photos: 0, reference: None }
    }

    /// The idempotency key of the submission and the key its photos are kept under.
    pub fn key(&self, chat_id: i64) -> String {
        format!("tg:{chat_id}:{}", self.id)
    }

    /// Whether the questionnaire still waits for the relative.
    pub fn active(&self) -> bool {
        self.at != Field::Sent
    }

    fn slot(&mut self, field: Field) -> Option<&mut String> {
        let i = &mut self.input;
        Some(match field {
            Field::SoughtName => &mut i.sought_name,
            Field::SoughtBirth => &mut i.sought_birth,
            Field::SoughtBirthPlace => &mut i.sought_birth_place,
            Field::SoughtRegion => &mut i.sought_region,
            Field::SoughtUnit => &mut i.sought_unit,
            Field::Marks => &mut i.marks,
            Field::RequesterName => &mut i.requester_name,
            Field::Relationship => &mut i.relationship,
            Field::Email => &mut i.email,
            Field::Phone => &mut i.phone,
            Field::FreeText => &mut i.free_text,
            _ => return None,
        })
    }

    /// The web form's errors of the whole input, but the contact rule.
    pub fn errors(input: &RequestInput) -> Vec<(&'static str, &'static str)> {
        validate(input).into_iter().filter(|e| *e != CONTACT_RULE).collect()
    }

    /// The first error of `field` if its value were `value`.
    fn check(&self, field: Field, value: &str) -> Option<&'static str> {
        let mut probe = self.input.clone();
        probe.consent = true;
        let mut d = Dialog { input: probe, ..self.clone() };
        if let Some(slot) = d.slot(field) {
            *slot = value.to_string();
        }
        Dialog::errors(&d.input).into_iter().find(|(f, _)| *f == field.name()).map(|(_, k)| k)
    }

    /// Moves on past `self.at`; after the photo step comes the summary.
    fn advance(&mut self) -> Outcome {
        self.at = self.at.next();
        // A full photo step is passed over.
        if self.at == Field::Photos && self.photos >= MAX_PHOTOS {
            self.at = Field::Confirm;
        }
        if self.at == Field::Confirm {
            Outcome::Summary
        } else {
            Outcome::Ask(self.at)
        }
    }

    /// One step of the questionnaire.
    pub fn step(&mut self, input: Input<'_>) -> Outcome {
        if let Some(reference) = &self.reference {
            return Outcome::AlreadySent(reference.clone());
        }
        let at = self.at;
        match input {
            Input::Text(text) if at.takes_text() => {
                let value = text.trim();
                if value.is_empty() {
                    return Outcome::Repeat(at);
                }
                if let Some(key) = self.check(at, value) {
                    return Outcome::Invalid { field: at, key };
                }
                if let Some(slot) = self.slot(at) {
                    *slot = value.to_string();
                }
                self.advance()
            }
            Input::Skip if at.optional() => {
                if let Some(slot) = self.slot(at) {
                    slot.clear();
                }
                self.advance()
            }
            Input::Done if at == Field::Photos => self.advance(),
            Input::PhotoKept if at == Field::Photos => {
                self.photos += 1;
                if self.photos >= MAX_PHOTOS {
                    self.advance()
                } else {
                    Outcome::Ask(Field::Photos)
                }
            }
            Input::Send(id) if at == Field::Confirm && id == self.id => {
                let mut input = self.input.clone();
                input.consent = true;
                // Everything was checked on the way; checked again as a whole.
                match Dialog::errors(&input).first() {
                    Some((field, key)) => {
                        let field =
                            Field::ORDER.iter().copied().find(|f| f.name() == *field).unwrap_or(Field::SoughtName);
                        self.at = field;
                        Outcome::Invalid { field, key }
                    }
                    None => Outcome::Submit(Box::new(input)),
                }
            }
            _ => Outcome::Repeat(at),
        }
    }

    /// Records a successful submission.
    pub fn sent(&mut self, reference: &str) {
        self.at = Field::Sent;
        self.reference = Some(reference.to_string());
    }

    /// The answers so far as (field, value) pairs, for the summary.
    pub fn answers(&self) -> Vec<(&'static str, String)> {
        let i = &self.input;
        [
            ("sought_name", &i.sought_name),
            ("sought_birth", &i.sought_birth),
            ("sought_birth_place", &i.sought_birth_place),
            ("sought_region", &i.sought_region),
            ("sought_unit", &i.sought_unit),
            ("marks", &i.marks),
            ("requester_name", &i.requester_name),
            ("relationship", &i.relationship),
            ("email", &i.email),
            ("phone", &i.phone),
            ("telegram", &i.telegram),
            ("free_text", &i.free_text),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(d: &mut Dialog, answers: &[Input<'_>]) -> Vec<Outcome> {
        answers.iter().cloned().map(|a| d.step(a)).collect()
    }

    #[test]
    fn a_whole_questionnaire_submits_the_web_form_fields() {
        let mut d = Dialog::start(3, "uk", Some("olena_k"), None);
        assert_eq!(d.at, Field::SoughtName);
        let out = fill(
            &mut d,
            &[
                Input::Text("Лаврентьєв Остап"),
                Input::Text("1990"),
                Input::Skip,
                Input::Text("Тульская область"),
                Input::Skip,
                Input::Skip,
                Input::Text("Олена"),
                Input::Text("сестра"),
                Input::Skip,
                Input::Skip,
                Input::Skip,
            ],
        );
        assert_eq!(out.last(), Some(&Outcome::Ask(Field::Photos)));
        assert_eq!(d.step(Input::PhotoKept), Outcome::Ask(Field::Photos));
        assert_eq!(d.step(Input::Done), Outcome::Summary);
        assert_eq!(d.step(Input::Send(2)), Outcome::Repeat(Field::Confirm), "a stale summary's button");
        let Outcome::Submit(input) = d.step(Input::Send(3)) else { panic!("submits") };
        assert!(input.consent);
        assert_eq!(input.language, "uk");
        assert_eq!(input.sought_name, "Лаврентьєв Остап");
        assert_eq!(input.sought_birth, "1990");
        assert_eq!(input.telegram, "olena_k");
        assert!(crate::requests::validate(&input).is_empty(), "passes the web form's rules");
        d.sent("FK-AAAA-BBBB");
        assert!(!d.active());
        assert_eq!(d.step(Input::Send(3)), Outcome::AlreadySent("FK-AAAA-BBBB".into()));
        assert_eq!(d.key(42), "tg:42:3");
    }

    #[test]
    fn bad_answers_name_their_field_and_keep_the_question() {
        let mut d = Dialog::start(1, "ru", None, None);
        assert_eq!(d.step(Input::Skip), Outcome::Repeat(Field::SoughtName), "the name is required");
        assert_eq!(d.step(Input::Text("Иванов")), Outcome::Ask(Field::SoughtBirth));
        assert_eq!(
            d.step(Input::Text("31.02.1990")),
            Outcome::Invalid { field: Field::SoughtBirth, key: "request.error.birth_no_such_day" }
        );
        assert_eq!(d.at, Field::SoughtBirth);
        assert_eq!(d.step(Input::Text("02.1990")), Outcome::Ask(Field::SoughtBirthPlace));
        d.at = Field::Email;
        assert_eq!(
            d.step(Input::Text("olga@mail")),
            Outcome::Invalid { field: Field::Email, key: "request.error.email_domain" }
        );
        assert_eq!(d.step(Input::Skip), Outcome::Ask(Field::Phone), "no email: the chat is the contact");
        assert_eq!(d.step(Input::Text("12")), Outcome::Invalid { field: Field::Phone, key: "request.error.phone" });
        assert_eq!(d.step(Input::PhotoKept), Outcome::Repeat(Field::Phone));
        assert_eq!(d.step(Input::Text("   ")), Outcome::Repeat(Field::Phone));
    }

    #[test]
    fn a_search_hit_starts_with_its_name_and_photos_stop_at_the_limit() {
        let mut d =
            Dialog::start(1, "en", None, Some(("R1", "Лаврентьев Остап Ильич", "Лаврентьев Остап Ильич, 1990")));
        assert_eq!(d.at, Field::SoughtBirth);
        assert_eq!(d.input.candidate, "R1");
        assert_eq!(d.input.sought_name, "Лаврентьев Остап Ильич");
        d.at = Field::Photos;
        for _ in 1..MAX_PHOTOS {
            assert_eq!(d.step(Input::PhotoKept), Outcome::Ask(Field::Photos));
        }
        assert_eq!(d.step(Input::PhotoKept), Outcome::Summary, "the last photo ends the step");
        // Required fields were never answered: "send" goes back to the first.
        assert_eq!(
            d.step(Input::Send(1)),
            Outcome::Invalid { field: Field::RequesterName, key: "request.error.requester_name" }
        );
        assert_eq!(d.at, Field::RequesterName);
    }

    #[test]
    fn a_user_name_the_form_refuses_is_left_out() {
        assert_eq!(Dialog::start(1, "ru", Some("abc"), None).input.telegram, "");
        assert_eq!(Dialog::start(1, "ru", Some("olga_k"), None).input.telegram, "olga_k");
    }

    #[test]
    fn the_dialog_survives_storage() {
        let d = Dialog::start(9, "ru", None, None);
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Dialog>(&text).unwrap(), d);
    }
}
