//! What the account says about a field: the [`Note`] under it from a
//! name's background lookup, or a warning about the field.

use super::state::FormScreen;
use crate::docs::ResourceKind;
use crate::tui::action::{Found, SlotId};
use crate::tui::fields::FieldId;
use crate::tui::model::{Model, StatusKind};

/// What a name's background lookup found (or a warning about the field),
/// for the line under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: StatusKind,
    /// The mark drawn before the text (`●`, `○`, `✗`, a spinner), if any.
    pub mark: &'static str,
    pub text: String,
}

impl Note {
    fn new(kind: StatusKind, mark: &'static str, text: impl Into<String>) -> Note {
        Note {
            kind,
            mark,
            text: text.into(),
        }
    }

    /// The note as drawn.
    pub fn line(&self) -> String {
        if self.mark.is_empty() {
            self.text.clone()
        } else {
            format!("{} {}", self.mark, self.text)
        }
    }
}

/// What a name's background lookup found, for the line under its field.
pub fn lookup_note(model: &Model, form: &FormScreen, field: FieldId) -> Option<Note> {
    if field == FieldId::DenyInsecureTransport {
        return insecure_endpoint_warning(model);
    }
    let target = match field {
        FieldId::PolicyName => ResourceKind::Policy,
        FieldId::RoleName => ResourceKind::Role,
        FieldId::UserName => ResourceKind::User,
        FieldId::BucketName => ResourceKind::Bucket,
        FieldId::QueueName => ResourceKind::Queue,
        FieldId::DlqName => ResourceKind::DeadLetterQueue,
        _ => return None,
    };
    if !model.online() || !field.active(&model.spec) || form.field_error(model, field).is_some() {
        return None;
    }
    let slot = model.slots.get(&SlotId::Kind(target))?;
    slot.key.as_ref()?;
    let Some(found) = &slot.found else {
        return Some(Note::new(
            StatusKind::Info,
            model.spinner(),
            "looking it up…",
        ));
    };
    let spec = &model.spec;
    let account = model
        .connection
        .identity()
        .map(|i| i.account.clone())
        .unwrap_or_default();
    let (create, noun) = match target {
        ResourceKind::Bucket => (spec.bucket.create, "bucket"),
        ResourceKind::Queue => (spec.queue.create, "queue"),
        _ => (true, ""),
    };
    let ok = |text: String| Note::new(StatusKind::Ok, "●", text);
    let bad = |text: String| Note::new(StatusKind::Error, "✗", text);
    Some(match found {
        Found::Bucket(Ok(Some(bucket)))
            if create
                && crate::aws::ownership::owner(&bucket.tags, &spec.name)
                    != crate::aws::ownership::Owner::Stack =>
        {
            let whose = match crate::aws::ownership::owner(&bucket.tags, &spec.name) {
                crate::aws::ownership::Owner::Other(other) => format!("belongs to stack {other}"),
                _ => "exists and is not this stack's".to_owned(),
            };
            bad(format!(
                "{whose}: choose \"use an existing bucket\" to leave its settings as they are, or another name"
            ))
        }
        Found::Bucket(Ok(Some(bucket))) => ok(format!(
            "exists in {}, owned by this account ({account}){}",
            bucket.region,
            if create {
                ": its settings are brought in line"
            } else {
                ""
            }
        )),
        Found::Queue(Ok(Some(_))) => ok(if create || target == ResourceKind::DeadLetterQueue {
            "exists in this account: its attributes are brought in line".to_owned()
        } else {
            "exists in this account: sluice adds its statement to the access policy".to_owned()
        }),
        Found::Policy(Ok(Some(_))) | Found::Role(Ok(Some(_))) | Found::User(Ok(Some(_))) => {
            ok("exists in this account: sluice brings it in line".to_owned())
        }
        Found::Bucket(Ok(None)) | Found::Queue(Ok(None)) if !create => bad(format!(
            "no such {noun}: create one, or name one that exists"
        )),
        Found::Bucket(Err(e)) if e.kind == crate::aws::ErrorKind::AccessDenied => bad(
            "exists, but not in this account: bucket names are global, choose another".to_owned(),
        ),
        Found::Bucket(Err(e)) | Found::Queue(Err(e)) => bad(e.message.clone()),
        Found::Policy(Err(e)) | Found::Role(Err(e)) | Found::User(Err(e)) => bad(e.to_string()),
        _ => Note::new(
            StatusKind::Info,
            "○",
            "does not exist yet: it will be created",
        ),
    })
}

/// With a plain-HTTP endpoint (an emulator), the deny-insecure-transport
/// statement denies every request made through it: say so under its toggle.
fn insecure_endpoint_warning(model: &Model) -> Option<Note> {
    let endpoint = model
        .connection
        .clients()
        .and_then(|c| c.endpoint_url.clone())
        .or_else(|| model.config.aws.endpoint_url.clone())?;
    crate::aws::client::refuses_endpoint(&model.spec, Some(&endpoint)).then(|| {
        Note::new(
            StatusKind::Info,
            "",
            format!(
                "{endpoint} is plain HTTP: this statement denies every request made through it"
            ),
        )
    })
}
