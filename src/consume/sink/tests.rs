use super::owners::OWNER_PREFIX;
use super::*;
use serde_json::{Value, json};
use std::path::Path;

#[test]
fn sink_specs() {
    assert_eq!("stdout".parse::<SinkSpec>(), Ok(SinkSpec::Stdout));
    assert_eq!("null".parse::<SinkSpec>(), Ok(SinkSpec::Null));
    assert_eq!(
        "dir:/tmp/x".parse::<SinkSpec>(),
        Ok(SinkSpec::Dir {
            path: "/tmp/x".into(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_age: DEFAULT_MAX_FILE_AGE,
        })
    );
    assert!(
        "dir:"
            .parse::<SinkSpec>()
            .unwrap_err()
            .contains("needs a path")
    );
    assert!(
        "s3://x"
            .parse::<SinkSpec>()
            .unwrap_err()
            .contains("not a sink")
    );
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.file_type().unwrap().is_dir() {
            out.extend(files(&entry.path()));
        } else if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(OWNER_PREFIX)
        {
            out.push(entry.path());
        }
    }
    out.sort();
    out
}

#[test]
fn dir_sink_commits_rotates_and_aborts() {
    let root = tempfile::tempdir().unwrap();
    let sink = DirSink::open(root.path(), 40).unwrap();
    let mut w = sink.writer().unwrap();
    for i in 0..5 {
        w.record(format!("{{\"n\":{i},\"pad\":\"xxxxxxxx\"}}").as_bytes())
            .unwrap();
    }
    // Nothing is visible before commit: only temporaries.
    assert!(
        files(root.path()).iter().all(|p| p
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".tmp"))
    );
    w.commit().unwrap();
    let done = files(root.path());
    assert_eq!(done.len(), 3, "rotated at 40 bytes: {done:?}");
    let today = chrono::Utc::now().format("%Y/%m/%d").to_string();
    assert!(done[0].starts_with(root.path().join(today)));
    let lines: Vec<Value> = done
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[4]["n"], 4);

    let mut w = sink.writer().unwrap();
    w.record(b"{\"lost\":true}").unwrap();
    w.abort();
    drop(w);
    let mut w = sink.writer().unwrap();
    w.record(b"{\"dropped\":true}").unwrap();
    drop(w);
    assert_eq!(
        files(root.path()).len(),
        3,
        "aborted and dropped writers leave nothing"
    );
}

/// A batch lands in the same files, each closed after the same record,
/// as its records one at a time; the default `records` too.
#[test]
fn dir_sink_batches_rotate_like_single_records() {
    struct OneByOne(Box<dyn SinkWriter>);
    impl SinkWriter for OneByOne {
        fn record(&mut self, json: &[u8]) -> io::Result<()> {
            self.0.record(json)
        }
        fn commit(&mut self) -> io::Result<()> {
            self.0.commit()
        }
        fn abort(&mut self) {
            self.0.abort();
        }
    }
    let records: Vec<String> = (0..12)
        .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 7)))
        .collect();
    let contents = |root: &Path| -> Vec<String> {
        files(root)
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    };
    for max in [1, 20, 40, 41, 100, 333, 1 << 20] {
        let one = tempfile::tempdir().unwrap();
        let sink = DirSink::open(one.path(), max).unwrap();
        let mut w = sink.writer().unwrap();
        for r in &records {
            w.record(r.as_bytes()).unwrap();
        }
        w.commit().unwrap();
        let expected = contents(one.path());
        for split in [0, 1, 5, 12] {
            let (a, b) = records.split_at(split);
            let ndjson = |part: &[String]| -> Vec<u8> {
                part.iter()
                    .flat_map(|r| format!("{r}\n").into_bytes())
                    .collect()
            };
            for default in [false, true] {
                let root = tempfile::tempdir().unwrap();
                let sink = DirSink::open(root.path(), max).unwrap();
                let mut w = sink.writer().unwrap();
                if default {
                    w = Box::new(OneByOne(w));
                }
                for part in [a, b] {
                    if !part.is_empty() {
                        w.records(&ndjson(part)).unwrap();
                    }
                }
                w.commit().unwrap();
                assert_eq!(
                    contents(root.path()),
                    expected,
                    "max {max}, split {split}, default {default}"
                );
            }
        }
    }
}

/// Whether the ticket has said durable (`Some(Ok)`), failed, or not yet.
fn told(ticket: &mut Ticket) -> Option<Result<(), String>> {
    ticket.0.try_recv().ok()
}

fn lines_of(root: &Path) -> Vec<String> {
    files(root)
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".tmp"))
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Messages' records share one file; nothing is committed (and no
/// ticket says durable) before the file's age or a forced commit; an
/// aborted writer's records are not in it.
#[test]
fn dir_sink_messages_share_a_file_committed_by_age() {
    let root = tempfile::tempdir().unwrap();
    let sink = DirSink::open(root.path(), 1 << 20)
        .unwrap()
        .with_max_file_age(Duration::from_secs(3600));
    let files_of = sink.shared_files().unwrap();
    let mut tickets = Vec::new();
    for m in 0..20 {
        let mut w = sink.writer().unwrap();
        w.records(format!("{{\"m\":{m},\"i\":0}}\n{{\"m\":{m},\"i\":1}}\n").as_bytes())
            .unwrap();
        if m == 7 {
            w.abort();
            continue;
        }
        tickets.push(w.commit_shared().unwrap().expect("a shared file"));
    }
    // An empty writer has nothing to wait for.
    assert!(sink.writer().unwrap().commit_shared().unwrap().is_none());
    assert!(lines_of(root.path()).is_empty());
    assert!(tickets.iter_mut().all(|t| told(t).is_none()));
    assert!(files_of.due_in().is_some_and(|d| !d.is_zero()));
    assert!(!files_of.commit_due(false), "not old enough");
    assert!(files_of.commit_due(true));
    assert!(files_of.due_in().is_none());
    for t in &mut tickets {
        assert_eq!(told(t), Some(Ok(())));
    }
    let done = files(root.path());
    assert_eq!(done.len(), 1, "{done:?}");
    let lines = lines_of(root.path());
    assert_eq!(lines.len(), 19 * 2);
    assert!(!lines.iter().any(|l| l.contains("\"m\":7,")));
    // Age zero: due at once.
    let sink = DirSink::open(root.path(), 1 << 20)
        .unwrap()
        .with_max_file_age(Duration::ZERO);
    let mut w = sink.writer().unwrap();
    w.record(b"{}").unwrap();
    let mut t = w.commit_shared().unwrap().unwrap();
    assert!(sink.shared_files().unwrap().commit_due(false));
    assert_eq!(told(&mut t), Some(Ok(())));
}

/// The shared file is committed when the next message's records would
/// take it past the size limit (they start the next file), or when they
/// take it to the limit; a message past the stage limit writes files of
/// its own, committed with it.
#[test]
fn dir_sink_shared_files_rotate_by_size() {
    let root = tempfile::tempdir().unwrap();
    let sink = DirSink::open(root.path(), 100).unwrap();
    let record = |m: usize| format!("{{\"m\":{m},\"pad\":\"{}\"}}\n", "x".repeat(20));
    assert_eq!(record(0).len(), 37);
    let mut tickets = Vec::new();
    for m in 0..7 {
        let mut w = sink.writer().unwrap();
        w.records(record(m).as_bytes()).unwrap();
        tickets.push(w.commit_shared().unwrap().unwrap());
    }
    // 37 + 37 fit in 100, a third does not: files of two records, the
    // seventh message's alone in the open file.
    for (m, t) in tickets.iter_mut().enumerate() {
        let expected = (m < 6).then_some(Ok(()));
        assert_eq!(told(t), expected, "message {m}");
    }
    assert_eq!(files(root.path()).len(), 4, "three committed, one open");
    // Records past the stage limit (here the size limit): own files.
    let mut w = sink.writer().unwrap();
    for m in 10..14 {
        w.records(record(m).as_bytes()).unwrap();
    }
    assert!(w.commit_shared().unwrap().is_none(), "durable on return");
    assert_eq!(lines_of(root.path()).len(), 6 + 4);
    assert!(sink.shared_files().unwrap().commit_due(true));
    assert_eq!(told(&mut tickets[6]), Some(Ok(())));
    assert_eq!(lines_of(root.path()).len(), 7 + 4);
}

/// A shared file that cannot be written fails every message in it: no
/// ticket says durable, and nothing is left that looks like data.
#[test]
fn dir_sink_a_failed_shared_file_fails_its_messages() {
    let root = tempfile::tempdir().unwrap();
    let sink = DirSink::open(root.path(), 1 << 20).unwrap();
    let mut first = sink.writer().unwrap();
    first.record(b"{\"a\":1}").unwrap();
    let mut ticket = first.commit_shared().unwrap().unwrap();
    // The day's directory goes away under the open file: the rename fails.
    let day = root
        .path()
        .join(chrono::Utc::now().format("%Y").to_string());
    std::fs::remove_dir_all(&day).unwrap();
    assert!(sink.shared_files().unwrap().commit_due(true));
    assert!(matches!(told(&mut ticket), Some(Err(_))));
    assert!(lines_of(root.path()).is_empty());
}

#[test]
fn stale_temporaries_are_removed_on_open() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("2026/01/01")).unwrap();
    std::fs::write(root.path().join("2026/01/01/.part-x.ndjson.tmp"), "{}\n").unwrap();
    std::fs::write(root.path().join("2026/01/01/part-y.ndjson"), "{}\n").unwrap();
    DirSink::open(root.path(), 10).unwrap();
    assert_eq!(
        files(root.path()),
        vec![root.path().join("2026/01/01/part-y.ndjson")]
    );
}

#[test]
fn a_live_owners_temporaries_survive_and_a_gone_owners_are_removed() {
    let root = tempfile::tempdir().unwrap();
    // Files of a few bytes: each record goes to a file of the writer's own
    // at once (past the stage limit).
    let first = DirSink::open(root.path(), 4).unwrap();
    let mut w = first.writer().unwrap();
    w.record(b"{\"a\":1}").unwrap();
    let temporaries = files(root.path());
    assert_eq!(temporaries.len(), 1);
    // A second consumer on the same directory leaves them alone...
    let second = DirSink::open(root.path(), 4).unwrap();
    assert_eq!(files(root.path()), temporaries);
    w.commit().unwrap();
    assert!(files(root.path())[0].to_string_lossy().ends_with(".ndjson"));
    // ...and a killed owner's (its lock file left, unlocked) are removed.
    let mut w = second.writer().unwrap();
    w.record(b"{\"b\":2}").unwrap();
    let (lock, path) = {
        let mut second = second;
        second.lock.take().unwrap()
    };
    drop(lock);
    assert!(path.exists());
    std::mem::forget(w);
    assert_eq!(files(root.path()).len(), 2);
    let _third = DirSink::open(root.path(), 1 << 20).unwrap();
    assert_eq!(files(root.path()).len(), 1, "{:?}", files(root.path()));
    assert!(!path.exists(), "the gone owner's lock file is removed");
}

#[test]
fn source_fields_are_spliced() {
    let fields = source_fields("b", "k/é \"q\"", Some("2026-11-22T00:00:00Z"));
    let mut out = Vec::new();
    with_source(br#"{"a":1}"#, &fields, &mut out);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v,
        json!({"_s3_bucket": "b", "_s3_key": "k/é \"q\"", "_s3_event_time": "2026-11-22T00:00:00Z", "a": 1})
    );
    with_source(b"{}", &fields, &mut out);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["_s3_bucket"], "b");
    with_source(b"[1,2]", &fields, &mut out);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["value"], json!([1, 2]));
    assert_eq!(v["_s3_key"], "k/é \"q\"");
}

#[test]
fn quarantine_appends_lines() {
    let dir = tempfile::tempdir().unwrap();
    let q = Quarantine::open(dir.path()).unwrap();
    q.write("b", "k", Some(3), Some(120), "bad JSON", b"{oops")
        .unwrap();
    let text = std::fs::read_to_string(q.path()).unwrap();
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(
        v,
        json!({"bucket": "b", "key": "k", "record_index": 3, "byte_offset": 120, "error": "bad JSON", "record": "{oops"})
    );
}
