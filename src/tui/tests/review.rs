//! The review step.

use super::*;

#[test]
fn snapshot_review() {
    both(
        |w, h| {
            let mut app = offline(w, h);
            go_to(&mut app, Step::Review);
            app
        },
        "review_offline",
    );
    both(
        |w, h| {
            let mut app = offline(w, h);
            app.model.spec.policy.scope = crate::spec::PolicyScope::Wildcard;
            connect(&mut app);
            go_to(&mut app, Step::Review);
            answer_all(&mut app, |t| match t {
                ResourceKind::Queue => Some(Found::Queue(Ok(Some(queue_state(
                    "acme-ingest-queue",
                    "30",
                ))))),
                ResourceKind::Bucket => Some(Found::Bucket(Ok(Some(bucket_state(json!({})))))),
                _ => None,
            });
            app
        },
        "review_live_with_lints",
    );
}

#[test]
fn the_diff_is_coloured_green_and_red() {
    let mut app = offline(100, 30);
    connect(&mut app);
    go_to(&mut app, Step::Queue);
    answer_all(&mut app, |t| {
        (t == ResourceKind::Queue)
            .then(|| Found::Queue(Ok(Some(queue_state("acme-ingest-queue", "30")))))
    });
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    let row_of = |needle: &str| {
        (0..buffer.area.height).find(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, *y)].symbol())
                .collect::<String>()
                .contains(needle)
        })
    };
    let deleted = row_of("-  \"VisibilityTimeout\": \"30\"").expect("deleted line");
    let inserted = row_of("+  \"VisibilityTimeout\": \"600\"").expect("inserted line");
    let first_x = |y: u16| {
        (0..buffer.area.width)
            .find(|x| buffer[(*x, y)].symbol() == "-" || buffer[(*x, y)].symbol() == "+")
            .unwrap()
    };
    assert_eq!(buffer[(first_x(deleted), deleted)].fg, Color::Red);
    assert_eq!(buffer[(first_x(inserted), inserted)].fg, Color::Green);
}

#[test]
fn review_offline_goes_to_done_and_done_copies_and_exports() {
    let mut app = offline(100, 30);
    go_to(&mut app, Step::Review);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.model.step, Step::Done);
    assert!(
        app.model
            .status
            .as_ref()
            .unwrap()
            .text
            .contains("apply is disabled")
    );
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(app.model.effects.last(), Some(Effect::Copy(v)) if v.starts_with("arn:aws:iam::<ACCOUNT_ID>:role/"))
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('c'));
    assert!(
        matches!(app.model.effects.last(), Some(Effect::Copy(v)) if v == "EXTERNAL-ID-FOR-TESTS")
    );
    key(&mut app, KeyCode::Char('a'));
    assert!(
        matches!(app.model.effects.last(), Some(Effect::Copy(v)) if v.contains("bucket=acme-ingest-source\n"))
    );
    key(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.overlay, Some(Overlay::Prompt { .. })));
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(app.model.effects.last(), Some(Effect::Export { dir, .. }) if dir == &PathBuf::from("./acme-ingest-bundle"))
    );
    assert!(app.done.exporting);
    // Esc goes back to the review (the AWS steps are skipped offline).
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.model.step, Step::Review);
}

/// On the review, what the stack has that the spec no longer names is read
/// as `sluice plan` reads it (a subscription of the stack's queue to
/// another topic, a role under an earlier name), and the plan removes it:
/// the review waits for the read, lists each removal, and the confirmation
/// names them.
#[test]
fn the_review_reads_and_lists_what_the_spec_no_longer_names() {
    use crate::aws::observe::{Leftovers, Retiring, SubscriptionState, UserState};
    use crate::aws::orphans::{Orphan, OrphanKind};
    let mut app = online(120, 40);
    // Not read while the form is edited.
    assert!(!app.model.slots[&SlotId::Retiring].pending());
    go_to(&mut app, Step::Review);
    assert!(app.model.slots[&SlotId::Retiring].pending());
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "nothing to confirm while it is read");
    let old_topic = "arn:aws:sns:us-west-2:123456789012:old-uploads";
    answer_retiring(
        &mut app,
        Retiring {
            leftovers: Leftovers {
                earlier_subscriptions: Ok(vec![SubscriptionState {
                    arn: format!("{old_topic}:0f1e2d3c"),
                    attributes: [("TopicArn".to_owned(), json!(old_topic))].into(),
                }]),
                orphans: Ok(vec![Orphan {
                    kind: OrphanKind::Role,
                    name: "acme-ingest-old-role".into(),
                    id: "acme-ingest-old-role".into(),
                }]),
            },
            // The user the spec turned off, still the stack's.
            user: Some(Ok(Some(UserState {
                arn: "arn:aws:iam::123456789012:user/acme-ingest-user".into(),
                attached: vec!["arn:aws:iam::123456789012:policy/acme-ingest-policy".into()],
                access_keys: 1,
                tags: stack_tags(),
                unsaved_keys: Vec::new(),
            }))),
            rule: None,
            alarms: None,
        },
    );
    assert_eq!(app.model.derived.pending, 0);
    let screen = text(&app);
    for removal in [
        "- subscription      arn:aws:sns:us-west-2:1234",
        "- role              acme-ingest-old-role",
        "- user              acme-ingest-user",
        "6 to create, 0 to update or adopt, 3 to delete",
        "queue acme-ingest-queue is subscribed to",
        "role acme-ingest-old-role is this stack's",
    ] {
        assert!(screen.contains(removal), "{removal}:\n{screen}");
    }
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Some(Overlay::ConfirmApply)));
    let confirm = text(&app);
    assert!(
        confirm.contains("delete role acme-ingest-old-role"),
        "{confirm}"
    );
    assert!(
        confirm.contains("delete subscription arn:aws:sns"),
        "{confirm}"
    );
    assert!(
        confirm.contains("delete user acme-ingest-user"),
        "{confirm}"
    );
}
