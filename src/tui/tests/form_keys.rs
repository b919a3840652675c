//! The form steps, keys → state: what the keys do to the fields and the
//! spec, and the errors under fields as they are typed.

use super::*;

#[test]
fn tab_and_shift_tab_move_between_fields_and_wrap() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    assert_eq!(app.form.focus, Some(FieldId::PolicyName));
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.form.focus, Some(FieldId::PolicyScope));
    key(&mut app, KeyCode::BackTab);
    key(&mut app, KeyCode::BackTab);
    assert_eq!(app.form.focus, Some(FieldId::AllowPutObject));
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.form.focus,
        Some(FieldId::AllowPutObject),
        "↓ stops at the last field"
    );
}

#[test]
fn enter_goes_on_and_esc_goes_back() {
    let mut app = offline(100, 30);
    // On Welcome the name waits: the first Enter edits it, the next goes on.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Welcome);
    assert!(app.form.typing(&app.model));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Policy);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Role);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.step, Step::Policy);
    assert_eq!(app.model.furthest, Step::Role);
}

#[test]
fn next_refuses_an_invalid_step_and_focuses_its_first_error() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Suffix, "ok");
    set_text(&mut app, FieldId::BucketName, "x");
    set_text(&mut app, FieldId::Prefix, "/logs/");
    focus(&mut app, FieldId::Versioning);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Bucket);
    assert_eq!(app.form.focus, Some(FieldId::BucketName));
    let status = app.model.status.clone().unwrap();
    assert!(
        status.text.starts_with("Bucket name: is 1 characters long")
            && status.text.ends_with("(and 1 more field to fix)"),
        "{status:?}"
    );
    set_text(&mut app, FieldId::BucketName, "fine-bucket");
    set_text(&mut app, FieldId::Prefix, "logs/");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Queue);
}

#[test]
fn numbers_are_checked_as_typed() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    set_text(&mut app, FieldId::VisibilityTimeout, "9x");
    assert!(
        app.form
            .field_error(&app.model, FieldId::VisibilityTimeout)
            .unwrap()
            .contains("not a whole number")
    );
    set_text(&mut app, FieldId::VisibilityTimeout, "50000");
    assert!(
        app.form
            .field_error(&app.model, FieldId::VisibilityTimeout)
            .unwrap()
            .contains("0 to 43200")
    );
    set_text(&mut app, FieldId::VisibilityTimeout, "900");
    assert_eq!(
        app.form.field_error(&app.model, FieldId::VisibilityTimeout),
        None
    );
    assert_eq!(app.model.spec.queue.visibility_timeout_secs, 900);
}

#[test]
fn toggles_selects_and_the_picker() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Policy);
    focus(&mut app, FieldId::AllowSendMessage);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.model.spec.policy.allow_send_message);
    focus(&mut app, FieldId::PolicyScope);
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.model.spec.policy.scope,
        crate::spec::PolicyScope::Wildcard
    );
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.model.spec.policy.scope,
        crate::spec::PolicyScope::LeastPrivilege
    );

    go_to(&mut app, Step::Welcome);
    focus(&mut app, FieldId::Region);
    key(&mut app, KeyCode::Char(' '));
    type_text(&mut app, "central-1");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert_eq!(app.model.spec.region, "eu-central-1");
}

#[test]
fn kms_key_follows_the_encryption_choice() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Queue);
    focus(&mut app, FieldId::QueueEncryption);
    key(&mut app, KeyCode::Right);
    assert_eq!(
        app.model.spec.queue.encryption,
        crate::spec::QueueEncryption::Kms
    );
    assert!(
        app.form
            .field_error(&app.model, FieldId::QueueKmsKey)
            .unwrap()
            .contains("required")
    );
    set_text(
        &mut app,
        FieldId::QueueKmsKey,
        "arn:aws:kms:us-west-2:123456789012:key/abc",
    );
    assert_eq!(app.form.field_error(&app.model, FieldId::QueueKmsKey), None);
    focus(&mut app, FieldId::QueueEncryption);
    key(&mut app, KeyCode::Right);
    assert_eq!(app.model.spec.queue.kms_key_arn, None, "none: no key");
    key(&mut app, KeyCode::Left);
    assert_eq!(
        app.model.spec.queue.kms_key_arn.as_deref(),
        Some("arn:aws:kms:us-west-2:123456789012:key/abc"),
        "choosing KMS again brings the key back"
    );
}

#[test]
fn the_principals_list_adds_refuses_and_removes() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::TrustedPrincipals);
    type_text(&mut app, "arn:aws:iam::210987654321:role/vendor");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Role, "Enter adds, it does not go on");
    assert_eq!(
        app.model.spec.role.trusted_principals,
        ["arn:aws:iam::210987654321:role/vendor"]
    );
    type_text(&mut app, "*");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.form
            .field_error(&app.model, FieldId::TrustedPrincipals)
            .unwrap()
            .contains("any AWS account")
    );
    assert_eq!(app.model.spec.role.trusted_principals.len(), 1);
    // Clear the input, move up to the item, delete it.
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Delete);
    assert!(app.model.spec.role.trusted_principals.is_empty());
    // An empty input: Enter goes on.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::User);
}

#[test]
fn ctrl_g_generates_an_external_id() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    let before = app.model.spec.role.external_id.clone();
    ctrl(&mut app, 'g');
    assert_ne!(app.model.spec.role.external_id, before);
    assert_eq!(app.model.spec.role.external_id.len(), 32);
    assert_eq!(
        app.form.input_text(FieldId::ExternalId),
        app.model.spec.role.external_id
    );
}

/// Where the vendor assigns the external ID, no key replaces it: Ctrl-G is
/// neither offered nor taken, and the hint says whose value to paste.
#[test]
fn ctrl_g_is_not_offered_where_the_vendor_gives_the_external_id() {
    for connector in [
        crate::spec::Connector::Hevo,
        crate::spec::Connector::Databend,
        crate::spec::Connector::TidbCloudLake,
        crate::spec::Connector::Tarsal,
    ] {
        let mut app = offline(100, 30);
        crate::spec::apply_profile(&mut app.model.spec, connector);
        app.model.spec.role.external_id = "vendor-given-123".into();
        app.model.spec_changed();
        go_to(&mut app, Step::Role);
        focus(&mut app, FieldId::ExternalId);
        let hints = crate::tui::keymap::hints(&app);
        assert!(
            !hints.iter().any(|(k, _)| *k == "^G"),
            "{connector}: {hints:?}"
        );
        ctrl(&mut app, 'g');
        assert_eq!(
            app.model.spec.role.external_id, "vendor-given-123",
            "{connector}"
        );
        let screen = text(&app);
        assert!(
            screen.contains("gives it: paste") || screen.contains("assigns the external ID"),
            "{connector}:\n{screen}"
        );
    }
    // Where sluice makes it, Ctrl-G stays.
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    assert!(
        crate::tui::keymap::hints(&app)
            .iter()
            .any(|(k, _)| *k == "^G")
    );
}

/// "Create a new bucket" with the name of a bucket that is not the stack's:
/// Next is refused, and adopting it ("use an existing bucket") goes on.
#[test]
fn creating_a_bucket_that_is_not_the_stacks_is_refused_and_adopting_it_goes_on() {
    let mut app = offline(100, 30);
    connect(&mut app);
    go_to(&mut app, Step::Bucket);
    let theirs = || {
        let mut theirs = bucket_state(json!({}));
        theirs.tags = BTreeMap::new();
        Found::Bucket(Ok(Some(theirs)))
    };
    answer_all(&mut app, |t| (t == ResourceKind::Bucket).then(theirs));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Bucket, "{}", text(&app));
    assert!(
        text(&app).contains("exists and is not this stack's"),
        "{}",
        text(&app)
    );
    focus(&mut app, FieldId::BucketCreate);
    key(&mut app, KeyCode::Right);
    assert!(!app.model.spec.bucket.create);
    answer_all(&mut app, |t| (t == ResourceKind::Bucket).then(theirs));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Queue, "{}", text(&app));
}

#[test]
fn the_events_checklist_toggles_in_list_order() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Notification);
    focus(&mut app, FieldId::Events);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.model.spec.notification.events,
        ["s3:ObjectCreated:*", "s3:ObjectCreated:Put"]
    );
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert!(app.model.spec.notification.events.is_empty());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Notification);
    assert!(
        app.form
            .field_error(&app.model, FieldId::Events)
            .unwrap()
            .contains("at least one")
    );
}

#[test]
fn an_overlapping_notification_blocks_next() {
    let mut app = offline(100, 30);
    connect(&mut app);
    go_to(&mut app, Step::Notification);
    answer_with_foreign_entry(&mut app);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Notification);
    assert!(
        app.model.status.as_ref().unwrap().text.contains("etl"),
        "{:?}",
        app.model.status
    );
    // A prefix that no longer overlaps unblocks it.
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Prefix, "data/");
    go_to(&mut app, Step::Notification);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Review);
}

#[test]
fn question_mark_and_q_type_into_text_fields_but_act_elsewhere() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::Prefix, "q?");
    assert_eq!(app.model.spec.bucket.prefix, "q?");
    assert!(app.overlay.is_none() && !app.model.quit);
    focus(&mut app, FieldId::Versioning);
    key(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    key(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert_eq!(
        app.model.step,
        Step::Bucket,
        "Esc closed the help, not the step"
    );
}

#[test]
fn lookups_are_debounced_and_superseded() {
    let mut app = offline(100, 30);
    connect(&mut app);
    answer_all(&mut app, |_| None);
    app.model.effects.clear();
    go_to(&mut app, Step::Bucket);
    set_text(&mut app, FieldId::BucketName, "another-bucket");
    let slot = &app.model.slots[&SlotId::Kind(ResourceKind::Bucket)];
    assert!(slot.pending() && slot.due.is_some());
    let generation = slot.generation;
    tick_after(&mut app, Duration::from_millis(100));
    assert!(app.model.effects.is_empty(), "not yet: still typing");
    type_text(&mut app, "-2");
    let newer = app.model.slots[&SlotId::Kind(ResourceKind::Bucket)].generation;
    assert!(newer > generation);
    tick_after(&mut app, Duration::from_millis(400));
    let lookups: Vec<_> = app
        .model
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Lookup {
                target,
                generation,
                what,
                ..
            } => Some((*target, *generation, what.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(lookups.len(), 1, "{lookups:?}");
    assert_eq!(lookups[0].0, SlotId::Kind(ResourceKind::Bucket));
    assert_eq!(lookups[0].1, newer);
    assert!(format!("{:?}", lookups[0].2).contains("another-bucket-2"));
    // A late answer for the old name is dropped.
    update(
        &mut app,
        Action::Looked {
            target: SlotId::Kind(ResourceKind::Bucket),
            generation,
            result: Box::new(Found::Bucket(Ok(Some(bucket_state(json!({})))))),
        },
    );
    assert!(
        app.model.slots[&SlotId::Kind(ResourceKind::Bucket)]
            .found
            .is_none()
    );
    update(
        &mut app,
        Action::Looked {
            target: SlotId::Kind(ResourceKind::Bucket),
            generation: newer,
            result: Box::new(Found::Bucket(Ok(None))),
        },
    );
    assert!(!app.model.slots[&SlotId::Kind(ResourceKind::Bucket)].pending());
    assert!(
        crate::tui::screens::form::lookup_note(&app.model, &app.form, FieldId::BucketName)
            .map(|n| (n.line(), n.kind))
            .unwrap()
            .0
            .contains("will be created")
    );
}

#[test]
fn paste_goes_into_the_focused_input_on_one_line() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::ExternalId);
    key(&mut app, KeyCode::End);
    update(&mut app, Action::Paste("-org\n42".into()));
    assert_eq!(
        app.model.spec.role.external_id,
        "EXTERNAL-ID-FOR-TESTS-org42"
    );
}

/// With "Block all public access" off, the four blocks are shown one by
/// one, and each writes its own flag into the spec.
#[test]
fn the_four_public_access_blocks_are_set_one_by_one() {
    let mut app = offline(100, 40);
    go_to(&mut app, Step::Bucket);
    assert!(!text(&app).contains("block public ACLs"));
    focus(&mut app, FieldId::BlockPublicAccess);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(
        app.model.spec.bucket.block_public_access,
        crate::spec::PublicAccessBlock::all(false)
    );
    let shown = text(&app);
    for label in [
        "block public ACLs",
        "ignore public ACLs",
        "block public bucket policies",
        "restrict public buckets",
    ] {
        assert!(shown.contains(label), "{label}:\n{shown}");
    }
    focus(&mut app, FieldId::BlockPublicPolicy);
    key(&mut app, KeyCode::Char(' '));
    let b = app.model.spec.bucket.block_public_access;
    assert!(b.block_public_policy);
    assert!(!b.block_public_acls && !b.ignore_public_acls && !b.restrict_public_buckets);
    let written = crate::spec::to_json_string(&app.model.spec);
    assert!(
        written.contains(r#""block_public_policy": true"#),
        "{written}"
    );
}

/// Hevo's Role step before its external ID is pasted: a long error under
/// the field, wrapped whole, in the wizard's words.
fn hevo_role_without_external_id(w: u16, h: u16) -> App {
    let mut app = offline(w, h);
    crate::spec::apply_profile(&mut app.model.spec, crate::spec::Connector::Hevo);
    app.model.spec.role.external_id.clear();
    app.form.reset_inputs(&app.model);
    app.model.spec_changed();
    go_to(&mut app, Step::Role);
    focus(&mut app, FieldId::ExternalId);
    app
}

#[test]
fn snapshot_a_long_error_wraps_under_its_field() {
    small_and_large(hevo_role_without_external_id, "role_long_error");
}

/// An error under a field is wrapped to the form's width, never cut, and
/// speaks of the wizard's fields: no `--set`, which stays the CLI's.
#[test]
fn errors_under_fields_wrap_whole_and_name_fields_by_their_labels() {
    for (w, h) in [(80, 24), (120, 40)] {
        let app = hevo_role_without_external_id(w, h);
        let shown = pane_text(&app);
        let flat = shown
            .lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains("(Connect to your S3, access type IAM)"),
            "{w}x{h}:\n{shown}"
        );
        assert!(!shown.contains("--set"), "{w}x{h}:\n{shown}");
    }
    let cli = crate::spec::validate(&hevo_role_without_external_id(80, 24).model.spec)
        .expect_err("no external ID")
        .to_string();
    assert!(cli.contains("(--set role.external_id=VALUE)"), "{cli}");

    // Another field is named by its label, and a setting as the form makes it.
    let mut app = offline(100, 40);
    app.model.spec.bucket.object_lock = true;
    app.model.spec.bucket.versioning = false;
    app.form.reset_inputs(&app.model);
    app.model.spec_changed();
    go_to(&mut app, Step::Bucket);
    let error = app.form.field_error(&app.model, FieldId::ObjectLock);
    assert_eq!(
        error.as_deref(),
        Some(
            "needs versioning: Object Lock keeps object versions, so turn on “Enable versioning” as well"
        )
    );
    let cli = crate::spec::validate(&app.model.spec)
        .expect_err("object lock without versioning")
        .to_string();
    assert!(
        cli.contains("so set bucket.versioning to true as well"),
        "{cli}"
    );

    // On another step, with the step, and a select by its choice.
    let mut app = offline(100, 40);
    app.model.spec.queue.enabled = false;
    app.model.spec.notification.enabled = true;
    app.model.spec_changed();
    go_to(&mut app, Step::Notification);
    let error = app
        .form
        .field_error(&app.model, FieldId::NotificationEnabled);
    assert_eq!(
        error.as_deref(),
        Some(
            "needs a queue to notify: choose “queue-fed: S3 notifies a queue” for “Pipeline” on the Queue step, set “Vendor's queue ARN” to a vendor's queue, or choose “none” for “Bucket notification” (a pull import or a destination has neither)"
        )
    );
}

/// A prefix without a trailing `/` is flagged under the field as it is
/// typed, whatever the shape (it scopes the listing of a pull import too),
/// and the step still goes on: it is a warning, not an error.
#[test]
fn a_prefix_without_a_trailing_slash_is_flagged_as_typed() {
    for connector in [
        crate::spec::Connector::Generic,
        crate::spec::Connector::TreasureData,
    ] {
        let mut app = offline(100, 30);
        app.model.spec.connector = connector;
        go_to(&mut app, Step::Bucket);
        set_text(&mut app, FieldId::Prefix, "logs");
        let shown = pane_text(&app);
        assert!(
            shown.contains("prefix `logs` has no trailing `/`"),
            "{connector}:\n{shown}"
        );
        set_text(&mut app, FieldId::Prefix, "logs/");
        assert!(!pane_text(&app).contains("no trailing"), "{connector}");
    }
}
