//! The wizard, driven offline by keys through every step, exports a bundle
//! identical (byte for byte, file modes too) to `sluice export` of the spec
//! it saves; its session is autosaved and resumes.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crossterm::event::KeyCode;
use sluice::tui::fields::FieldId;
use sluice::tui::model::{Config, Setup};
use sluice::tui::step::Step;
use sluice::tui::{Headless, Theme};

const WAIT: Duration = Duration::from_secs(20);

fn setup(dir: &Path) -> Setup {
    let mut config = Config::offline("offline for this test: no AWS is contacted");
    config.sessions_dir = Some(dir.join("sessions"));
    config.export_base = dir.to_owned();
    config.out_dir = dir.to_owned();
    config.manual_page = Some(sluice::cli::manual_text().unwrap());
    Setup {
        config,
        spec: None,
        profiles: Vec::new(),
        theme: Theme { color: true },
        notes: Vec::new(),
    }
}

/// Tabs to `field` on the current step.
fn focus(w: &mut Headless, field: FieldId) {
    for _ in 0..20 {
        if w.app().form.focus == Some(field) {
            return;
        }
        w.press(KeyCode::Tab);
    }
    panic!(
        "cannot reach {field:?} on {:?}:\n{}",
        w.app().model.step,
        w.screen()
    );
}

/// Replaces the text of the focused input (or prompt).
fn retype(w: &mut Headless, text: &str) {
    w.press(KeyCode::Home);
    w.ctrl('k');
    w.type_text(text);
}

fn enter_expecting(w: &mut Headless, step: Step) {
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, step, "{}", w.screen());
}

/// Every file under `dir`: relative path → (bytes, mode).
fn files(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        assert!(path.is_file(), "unexpected {}", path.display());
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        out.insert(
            path.strip_prefix(dir).unwrap().to_owned(),
            (std::fs::read(&path).unwrap(), mode),
        );
    }
    out
}

#[tokio::test]
async fn every_step_offline_then_the_bundle_matches_sluice_export() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut w = Headless::new(setup(dir), 100, 30);
    assert!(w.screen().contains("○ OFFLINE"), "{}", w.screen());

    // 1. Welcome: a stack name and a region from the picker.
    assert_eq!(w.app().form.focus, Some(FieldId::StackName));
    retype(&mut w, "orders-ingest");
    focus(&mut w, FieldId::Region);
    w.press(KeyCode::Char(' '));
    w.type_text("eu-west-1");
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.spec.region, "eu-west-1");
    assert_eq!(w.app().model.spec.bucket.name, "orders-ingest-source");
    enter_expecting(&mut w, Step::Policy);

    // 2. Policy: allow SendMessage (backfills).
    focus(&mut w, FieldId::AllowSendMessage);
    w.press(KeyCode::Char(' '));
    enter_expecting(&mut w, Step::Role);

    // 3. Role: the vendor's account, a bad principal refused, an external ID of theirs.
    focus(&mut w, FieldId::TrustedPrincipals);
    w.type_text("arn:aws:iam::210987654321:role/vendor-reader");
    w.press(KeyCode::Enter);
    w.type_text("not-a-principal");
    w.press(KeyCode::Enter);
    let refused = w
        .app()
        .form
        .field_error(&w.app().model, FieldId::TrustedPrincipals)
        .unwrap_or_default();
    assert!(refused.contains("is not an IAM principal"), "{refused}");
    assert!(
        w.screen().contains("✗ `not-a-principal` is not an IAM"),
        "{}",
        w.screen()
    );
    assert_eq!(w.app().model.spec.role.trusted_principals.len(), 1);
    w.ctrl('k');
    w.press(KeyCode::Home);
    w.ctrl('k');
    focus(&mut w, FieldId::ExternalId);
    retype(&mut w, "vendor-org-4711");
    enter_expecting(&mut w, Step::User);

    // 4. User: left off (the role is the way in).
    enter_expecting(&mut w, Step::Bucket);

    // 5. Bucket: Next refuses a bad prefix and focuses it; fixed, it goes on.
    focus(&mut w, FieldId::Prefix);
    retype(&mut w, "/logs/");
    focus(&mut w, FieldId::Versioning);
    w.press(KeyCode::Char(' '));
    w.press(KeyCode::Enter);
    assert_eq!(w.app().model.step, Step::Bucket);
    assert_eq!(w.app().form.focus, Some(FieldId::Prefix));
    retype(&mut w, "logs/");
    focus(&mut w, FieldId::Suffix);
    retype(&mut w, ".json.gz");
    enter_expecting(&mut w, Step::Queue);

    // 6. Queue: a longer visibility timeout.
    focus(&mut w, FieldId::VisibilityTimeout);
    retype(&mut w, "900");
    enter_expecting(&mut w, Step::Notification);

    // 7. Notification: also on restores.
    focus(&mut w, FieldId::Events);
    for _ in 0..10 {
        w.press(KeyCode::Down);
    }
    w.press(KeyCode::Char(' '));
    assert_eq!(
        w.app().model.spec.notification.events,
        ["s3:ObjectCreated:*", "s3:ObjectRestore:Completed"]
    );
    enter_expecting(&mut w, Step::Review);

    // 8. Review: offline, so Enter goes to Done (apply, verify, data are off).
    let review = w.screen();
    assert!(review.contains("Offline plan"), "{review}");
    assert!(review.contains("Apply is disabled: offline"), "{review}");
    enter_expecting(&mut w, Step::Done);

    // 12. Done: export to a chosen directory.
    let exported = dir.join("from-wizard");
    w.press(KeyCode::Char('e'));
    retype(&mut w, exported.to_str().unwrap());
    w.press(KeyCode::Enter);
    assert!(
        w.wait_for(WAIT, |app| app.done.exported.is_some()).await,
        "export never finished:\n{}",
        w.screen()
    );
    // With the alarms a new session recommends: their topic's policy and
    // three alarm definitions among the files.
    assert!(w.screen().contains("wrote 22 files"), "{}", w.screen());

    // Save the spec (Ctrl-S asks where, the first time).
    let spec_file = dir.join("orders.json");
    w.ctrl('s');
    retype(&mut w, spec_file.to_str().unwrap());
    w.press(KeyCode::Enter);
    assert!(
        w.wait_for(WAIT, |app| !app.model.dirty()).await,
        "{}",
        w.screen()
    );
    assert!(spec_file.exists());

    // The session was autosaved as the same spec.
    let session = dir.join("sessions/orders-ingest.json");
    assert!(
        w.wait_for(WAIT, |_| session.exists()).await,
        "no session file"
    );
    assert_eq!(
        std::fs::read_to_string(&session).unwrap(),
        std::fs::read_to_string(&spec_file).unwrap()
    );

    // `sluice export` of the saved spec writes the same bundle.
    let by_cli = dir.join("from-cli");
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["export", "--config"])
        .arg(&spec_file)
        .arg("--out")
        .arg(&by_cli)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (ours, theirs) = (files(&exported), files(&by_cli));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (name, (bytes, mode)) in &ours {
        let (cli_bytes, cli_mode) = &theirs[name];
        assert!(
            bytes == cli_bytes,
            "{} differs:\n--- wizard\n{}\n--- sluice export\n{}",
            name.display(),
            String::from_utf8_lossy(bytes),
            String::from_utf8_lossy(cli_bytes)
        );
        assert_eq!(mode, cli_mode, "{}", name.display());
    }
    let spec = std::fs::read_to_string(exported.join("spec.json")).unwrap();
    for expected in [
        "\"region\": \"eu-west-1\"",
        "\"prefix\": \"logs/\"",
        "arn:aws:iam::210987654321:role/vendor-reader",
        "vendor-org-4711",
        "\"visibility_timeout_secs\": 900",
        "\"allow_send_message\": true",
        "\"versioning\": true",
    ] {
        assert!(spec.contains(expected), "{expected} not in\n{spec}");
    }
}

#[tokio::test]
async fn a_saved_session_is_offered_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sessions = dir.join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let mut saved = sluice::spec::starter("earlier", "us-east-2", None);
    saved.bucket.prefix = "raw/".into();
    sluice::spec::save(&saved, &sessions.join("earlier.json")).unwrap();

    let mut w = Headless::new(setup(dir), 80, 24);
    assert!(
        w.wait_for(WAIT, |app| !app.model.sessions.is_empty()).await,
        "{}",
        w.screen()
    );
    assert!(w.screen().contains("earlier"), "{}", w.screen());
    focus(&mut w, FieldId::Sessions);
    w.press(KeyCode::Enter);
    assert!(
        w.wait_for(WAIT, |app| app.model.spec.name == "earlier")
            .await,
        "{}",
        w.screen()
    );
    assert_eq!(w.app().model.spec, saved);
    assert_eq!(
        w.app().model.step,
        Step::Welcome,
        "resuming stays on the welcome step"
    );
    assert!(w.screen().contains("resumed"), "{}", w.screen());
}

/// A saved session is listed with its connector and deleted, after y / n,
/// with its place beside it: no other file goes, and only after y.
#[tokio::test]
async fn a_saved_session_is_deleted_only_after_confirmation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let sessions = dir.join("sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    let td = sluice::spec::starter_for(
        sluice::spec::Connector::TreasureData,
        "td-import",
        "us-west-2",
        None,
    );
    let file = sessions.join("td-import.json");
    sluice::spec::save(&td, &file).unwrap();
    let place = sessions.join("td-import.place");
    std::fs::write(&place, "{\"step\": \"bucket\", \"config\": null}\n").unwrap();
    let other = sessions.join("other.json");
    sluice::spec::save(&sluice::spec::starter("other", "us-east-2", None), &other).unwrap();
    let set = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_modified(set)
        .unwrap();

    let mut w = Headless::new(setup(dir), 80, 24);
    assert!(
        w.wait_for(WAIT, |app| app.model.sessions.len() == 2).await,
        "{}",
        w.screen()
    );
    focus(&mut w, FieldId::Sessions);
    assert!(
        w.screen()
            .contains("td-import  Treasure Data · at Bucket · not applied"),
        "{}",
        w.screen()
    );
    assert_eq!(
        w.app().form.selected_session(&w.app().model),
        Some(file.clone())
    );
    w.press(KeyCode::Char('x'));
    assert!(
        w.screen()
            .contains("Delete the saved session td-import? y/n"),
        "{}",
        w.screen()
    );
    w.press(KeyCode::Char('n'));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(file.exists() && place.exists(), "n keeps it");

    w.press(KeyCode::Char('x'));
    w.press(KeyCode::Char('y'));
    assert!(
        w.wait_for(WAIT, |app| app.model.sessions.len() == 1).await,
        "{}",
        w.screen()
    );
    assert!(!file.exists() && !place.exists());
    assert!(other.exists(), "only that session's files go");
    assert!(
        w.screen().contains("nothing in AWS was touched"),
        "{}",
        w.screen()
    );
}
