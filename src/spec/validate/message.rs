//! The words of a broken rule: [`FieldError`] and its [`Message`], made of
//! [`Word`]s each front end words its own way; [`ValidationErrors`], every
//! broken rule of a spec; and the `Collector` the rules report into.

use std::fmt;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `queue.dead_letter.max_receive_count`.
    pub path: String,
    /// The rule broken, in plain words.
    pub message: Message,
}

/// The words of a broken rule. Where they name a field or say how to set
/// one, they keep its path, and each front end words it its own way: the
/// CLI by the path `--set` takes ([`fmt::Display`]), the wizard by the
/// field's label ([`Message::render`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message(Vec<Word>);

/// A part of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    Text(String),
    /// A field, named by its path.
    Field(&'static str),
    /// Setting a field to a value: the CLI says `set PATH to VALUE`.
    Setting {
        path: &'static str,
        value: &'static str,
    },
    /// How the CLI gives the field in error a value, e.g.
    /// `role.external_id=VALUE`: the CLI adds ` (--set …)`; a form, whose
    /// field the error stands under, needs no such hint.
    SetFlag(&'static str),
}

impl Message {
    /// A message of `text` alone.
    pub fn text(text: impl Into<String>) -> Message {
        Message(vec![Word::Text(text.into())])
    }

    /// Then `text`.
    pub fn and(mut self, text: impl Into<String>) -> Message {
        self.0.push(Word::Text(text.into()));
        self
    }

    /// Then the words of `other`.
    pub fn then(mut self, other: Message) -> Message {
        self.0.extend(other.0);
        self
    }

    /// Then the field at `path`.
    pub fn field(mut self, path: &'static str) -> Message {
        self.0.push(Word::Field(path));
        self
    }

    /// Then setting the field at `path` to `value`.
    pub fn setting(mut self, path: &'static str, value: &'static str) -> Message {
        self.0.push(Word::Setting { path, value });
        self
    }

    /// Then how the CLI sets the field in error (`PATH=VALUE`).
    pub fn set_flag(mut self, setting: &'static str) -> Message {
        self.0.push(Word::SetFlag(setting));
        self
    }

    /// The message, each word other than text worded by `word` (`None`
    /// leaves it out, with the space before it).
    pub fn render(&self, mut word: impl FnMut(&Word) -> Option<String>) -> String {
        let mut out = String::new();
        for w in &self.0 {
            match w {
                Word::Text(text) => out.push_str(text),
                other => match word(other) {
                    Some(text) => out.push_str(&text),
                    None => out.truncate(out.trim_end().len()),
                },
            }
        }
        out
    }

    /// Whether the message, as the CLI words it, contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.to_string().contains(needle)
    }

    /// Every text part escaped (messages quote values from the spec).
    fn escaped(self) -> Message {
        Message(
            self.0
                .into_iter()
                .map(|w| match w {
                    Word::Text(text) => Word::Text(crate::spec::json::escape(&text)),
                    other => other,
                })
                .collect(),
        )
    }
}

impl From<String> for Message {
    fn from(text: String) -> Message {
        Message::text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::text(text)
    }
}

/// The CLI's wording: fields by their paths, `--set` to set them.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(|word| {
            Some(match word {
                Word::Text(text) => text.clone(),
                Word::Field(path) => (*path).to_owned(),
                Word::Setting { path, value } => format!("set {path} to {value}"),
                Word::SetFlag(setting) => format!(" (--set {setting})"),
            })
        }))
    }
}

/// Every broken rule of a spec, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The error for `path`, if that field broke a rule.
    pub fn for_path(&self, path: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.path == path)
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {}: {}", e.path, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

#[derive(Default)]
pub(super) struct Collector(Vec<FieldError>);

impl Collector {
    pub(super) fn check(&mut self, path: &str, result: Result<(), impl Into<Message>>) {
        if let Err(message) = result {
            self.push(path, message);
        }
    }

    pub(super) fn push(&mut self, path: &str, message: impl Into<Message>) {
        // Messages quote values from the spec: never a raw control character.
        self.0.push(FieldError {
            path: crate::spec::json::escape(path),
            message: message.into().escaped(),
        });
    }

    pub(super) fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}
