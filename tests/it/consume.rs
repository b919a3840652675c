//! `sluice consume`, `backfill` and `decode` against moto: exact counts for
//! every format and compression, every kind of bad input, crashes and stops
//! that lose nothing, the fail policy reaching the DLQ.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    Moto, apply_stack, aws_cli, consume_args, consume_into, files_under, final_metrics, gzip,
    ids_of, ok, put_object, queue_depth, queue_url, send, shared, sink_records, sluice, text,
    upload_dir, upload_ids, upload_records, wait_for_records,
};
use serde_json::{Value, json};

fn assert_no_temporaries(dir: &Path) {
    for path in files_under(&dir.join("out")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "a stopped consumer left {name} behind"
        );
    }
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 1).unwrap()
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

type Compress = fn(&[u8]) -> Vec<u8>;

fn records_for(tag: &str) -> Vec<Value> {
    (0..3)
        .map(|i| json!({"id": format!("{tag}-{i}"), "name": format!("n{i}")}))
        .collect()
}

fn encode_format(format: &str, records: &[Value]) -> Vec<u8> {
    match format {
        "ndjson" => records
            .iter()
            .map(|r| format!("{r}\r\n"))
            .collect::<String>()
            .into_bytes(),
        "concatenated" => records
            .iter()
            .map(|r| format!("{r} "))
            .collect::<String>()
            .trim_end()
            .as_bytes()
            .to_vec(),
        "array" => serde_json::to_vec(records).unwrap(),
        "csv" | "tsv" => {
            let sep = if format == "csv" { "," } else { "\t" };
            let mut out = format!("id{sep}name\n");
            for r in records {
                out.push_str(&format!(
                    "{}{sep}{}\n",
                    r["id"].as_str().unwrap(),
                    r["name"].as_str().unwrap()
                ));
            }
            out.into_bytes()
        }
        _ => unreachable!(),
    }
}

#[test]
fn every_format_and_compression_arrives_exactly() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    let local = dir.join("upload");
    fs::create_dir_all(&local).unwrap();
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let formats = [
        ("ndjson", "ndjson"),
        ("concatenated", "json"),
        ("array", "json"),
        ("csv", "csv"),
        ("tsv", "tsv"),
    ];
    let compressions: [(&str, Compress); 4] = [
        ("", |d| d.to_vec()),
        (".gz", gzip),
        (".zst", zstd),
        (".bz2", bzip2),
    ];
    for (format, ext) in formats {
        for (suffix, compress) in compressions {
            let key = format!("{format} a+b é{suffix}.{ext}{suffix}");
            let key = key.replacen(&format!("{suffix}.{ext}"), &format!(".{ext}"), 1);
            let tag = format!("{format}{suffix}");
            let records = records_for(&tag);
            fs::write(local.join(&key), compress(&encode_format(format, &records))).unwrap();
            // CSV and TSV values are strings already, like the records.
            expected.insert(format!("in/{key}"), records);
        }
    }
    fs::write(local.join("empty.json"), b"").unwrap();
    expected.insert("in/empty.json".into(), vec![]);
    upload_dir(&moto, &local, "in/");

    let out = sluice(&moto, dir, &consume_args("2", &["--add-source"]))
        .output()
        .unwrap();
    ok(out);
    let mut got: BTreeMap<String, Vec<Value>> =
        expected.keys().map(|k| (k.clone(), Vec::new())).collect();
    for mut r in sink_records(dir) {
        assert_eq!(r["_s3_bucket"], "acme-ingest-source");
        let key = r["_s3_key"].as_str().unwrap().to_owned();
        let obj = r.as_object_mut().unwrap();
        for f in ["_s3_bucket", "_s3_key", "_s3_event_time"] {
            obj.remove(f);
        }
        got.get_mut(&key)
            .unwrap_or_else(|| panic!("record from an unexpected key {key}"))
            .push(r);
    }
    assert_eq!(got, expected);
    let c = final_metrics(dir);
    assert_eq!(c["records"], 60);
    assert_eq!(c["objects_ok"], 21);
    assert_eq!(c["decode_errors"], 0);
    assert_eq!(c["test_events"], 1, "apply's s3:TestEvent is drained");
    assert_eq!(c["messages_deleted"], c["messages_received"]);
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

#[test]
fn bad_input_is_counted_and_nothing_is_left_behind() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    // 3 good lines, 2 malformed, one non-UTF-8, one oversized (2 MiB).
    let mut messy = b"{\"ok\":1}\n{bad json\n{\"ok\":2}\n[1,2\n".to_vec();
    messy.extend_from_slice(b"{\"s\":\"\xff\xfe\"}\n");
    messy.extend_from_slice(format!("{{\"big\":\"{}\"}}\n", "x".repeat(2 << 20)).as_bytes());
    messy.extend_from_slice(b"{\"ok\":3}");
    put_object(&moto, dir, "acme-ingest-source", "in/messy.ndjson", &messy);
    // A truncated gzip: 100 records, cut in the middle.
    let full: String = (0..100).map(|i| format!("{{\"t\":{i}}}\n")).collect();
    let gz = gzip(full.as_bytes());
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/truncated.ndjson.gz",
        &gz[..gz.len() / 2],
    );
    // A decompression bomb: 256 MiB of zero bytes in a few hundred bytes.
    let bomb = bzip2(&vec![0u8; 256 << 20]);
    assert!(bomb.len() < 4096, "{}", bomb.len());
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/bomb.ndjson.bz2",
        &bomb,
    );
    // Messages that are not plain S3 events.
    send(&moto, "hello, not an event");
    let event = |key: &str| {
        json!({"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "eventTime": "2026-11-22T00:00:00.000Z",
            "s3": {"bucket": {"name": "acme-ingest-source"}, "object": {"key": key, "size": 1}}}]})
    };
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "other/outside.ndjson",
        b"{\"x\":1}\n",
    );
    send(&moto, &event("other/outside.ndjson").to_string());
    send(&moto, &event("in/does-not-exist.ndjson").to_string());
    // The same object announced through SNS and through EventBridge. It lives in
    // a bucket without a notification, so only these two messages announce it.
    common::create_bucket(&moto, "side-bucket");
    fs::write(dir.join("sns.ndjson"), b"{\"via\":\"sns\"}\n").unwrap();
    aws_cli(
        &moto,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "side-bucket",
            "--key",
            "in/sns.ndjson",
            "--body",
            dir.join("sns.ndjson").to_str().unwrap(),
        ],
    );
    let mut wrapped = event("in/sns.ndjson");
    wrapped["Records"][0]["s3"]["bucket"]["name"] = json!("side-bucket");
    wrapped["Records"][0]["s3"]["object"]["sequencer"] = json!("00AA");
    send(
        &moto,
        &json!({"Type": "Notification", "MessageId": "m", "Message": wrapped.to_string()})
            .to_string(),
    );
    send(&moto, &json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3", "time": "2026-11-22T00:00:00Z",
        "detail": {"bucket": {"name": "side-bucket"}, "object": {"key": "in/sns.ndjson", "size": 14, "sequencer": "00AA"}}}).to_string());

    // One message at a time, so the duplicate is seen after the original is written.
    // The side bucket is not the stack's: `--any-bucket` lets it be read, and the
    // event outside the prefix is deleted rather than kept.
    let out = sluice(
        &moto,
        dir,
        &consume_args(
            "2",
            &[
                "--quarantine",
                "quarantine",
                "--concurrency",
                "1",
                "--any-bucket",
                "--on-foreign-event",
                "delete",
            ],
        ),
    )
    .output()
    .unwrap();
    ok(out);
    let c = final_metrics(dir);
    assert_eq!(c["messages_unparseable"], 1);
    assert_eq!(c["objects_skipped"], 1);
    assert_eq!(c["objects_not_found"], 1);
    // messy: 3 good records, 4 bad; truncated: an object error; the bomb: its
    // endless first line is an oversized record, then the expansion limit stops it.
    assert_eq!(c["objects_failed"], 2, "{c}");
    assert_eq!(c["decode_errors"], 4 + 1 + 2, "{c}");
    // The SNS-wrapped event and the EventBridge one announce the same object:
    // the second is a duplicate within the run.
    assert_eq!(c["objects_duplicate"], 1, "{c}");
    let records = sink_records(dir);
    let oks: BTreeSet<i64> = records.iter().filter_map(|r| r["ok"].as_i64()).collect();
    assert_eq!(oks, BTreeSet::from([1, 2, 3]));
    assert_eq!(records.iter().filter(|r| r["via"] == "sns").count(), 1);
    let truncated = records.iter().filter(|r| r.get("t").is_some()).count();
    assert!(
        truncated < 100,
        "records before the cut are delivered, not invented: {truncated}"
    );
    assert_eq!(c["records"].as_u64().unwrap(), 3 + 1 + truncated as u64);
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue"),
        (0, 0),
        "skip policy: every message deleted"
    );
    // Bad records are quarantined with their source and offset.
    let quarantined: Vec<Value> = fs::read_dir(dir.join("quarantine"))
        .unwrap()
        .flat_map(|e| {
            fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<Value>>()
        })
        .collect();
    assert!(
        quarantined.iter().any(|q| q["key"] == "in/messy.ndjson"
            && q["record_index"] == 1
            && q["record"] == "{bad json"),
        "{quarantined:?}"
    );
}

/// 40 objects × 250 records with ids `o{n}-{i}`.
fn upload_many(moto: &Moto, dir: &Path) -> BTreeSet<String> {
    upload_records(moto, dir, 40, 250)
}

#[test]
fn kill_9_then_rerun_delivers_every_record_at_least_once() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=3"]);
    let ids = upload_many(&moto, dir);
    let mut child = sluice(
        &moto,
        dir,
        &consume_args("2", &["--concurrency", "2", "--receivers", "1"]),
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_for_records(dir, 500, Duration::from_secs(60));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The rerun picks up what the killed run held once its visibility lapses.
    let out = sluice(&moto, dir, &consume_args("6", &[]))
        .output()
        .unwrap();
    ok(out);
    let got = ids_of(&sink_records(dir));
    let missing: Vec<&String> = ids.difference(&got).take(5).collect();
    assert!(missing.is_empty(), "records lost: {missing:?}…");
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

/// Records by object (the id's part before `-`).
fn per_object(records: &[Value]) -> BTreeMap<String, usize> {
    let mut per_object: BTreeMap<String, usize> = BTreeMap::new();
    for r in records {
        let id = r["id"].as_str().unwrap();
        *per_object
            .entry(id.split('-').next().unwrap().to_owned())
            .or_default() += 1;
    }
    per_object
}

/// Messages share the dir sink's files, each deleted only once its file is
/// committed. A run killed (SIGKILL) while records wait in a shared file,
/// another killed as soon as its first file is committed (deletes may be
/// under way), then a run to the end: no record lost, and only whole
/// messages written twice, at most those of the one file committed before
/// the second kill.
#[test]
fn shared_files_killed_twice_lose_nothing_and_duplicate_whole_messages() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=3"]);
    let ids = upload_many(&moto, dir);
    let killed = |age: &str| {
        sluice(
            &moto,
            dir,
            &consume_into(
                "dir:out",
                "60",
                &[
                    "--max-file-age",
                    age,
                    "--concurrency",
                    "4",
                    "--receivers",
                    "1",
                ],
            ),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
    };
    // 1. Records in a shared file that is not committed yet.
    let mut child = killed("30");
    let start = Instant::now();
    while !files_under(&dir.join("out")).iter().any(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.starts_with(".part-") && name.ends_with(".tmp")
    }) {
        assert!(start.elapsed() < Duration::from_secs(60), "no shared file");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(sink_records(dir).is_empty(), "nothing committed yet");
    // 2. Killed as soon as a file is committed.
    let mut child = killed("1");
    wait_for_records(dir, 1, Duration::from_secs(120));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = sluice(&moto, dir, &consume_args("6", &[]))
        .output()
        .unwrap();
    ok(out);
    assert_no_temporaries(dir);
    let records = sink_records(dir);
    let got = ids_of(&records);
    assert_eq!(got, ids, "every record, none invented");
    let per_object = per_object(&records);
    assert!(
        per_object.values().all(|&n| n % 250 == 0),
        "a partial message was committed: {per_object:?}"
    );
    // The most messages one sink file held.
    let most_per_file = files_under(&dir.join("out"))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .map(|p| {
            fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(|l| {
                    let r: Value = serde_json::from_str(l).unwrap();
                    r["id"]
                        .as_str()
                        .unwrap()
                        .split('-')
                        .next()
                        .unwrap()
                        .to_owned()
                })
                .collect::<BTreeSet<String>>()
                .len()
        })
        .max()
        .unwrap();
    let duplicated: usize = per_object.values().map(|&n| n / 250 - 1).sum();
    eprintln!(
        "{} records, {} unique, {duplicated} messages written twice; at most {most_per_file} messages in one file",
        records.len(),
        got.len()
    );
    assert_eq!(records.len() - got.len(), duplicated * 250);
    assert!(
        duplicated <= most_per_file,
        "{duplicated} messages written twice by a kill after one commit"
    );
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

/// 1,000 small objects, each its own message, end in a handful of files
/// (the default age and size; the idle stop commits the last one), every
/// record once.
#[test]
fn a_thousand_small_objects_make_a_handful_of_files() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    let ids = upload_ids(&moto, dir, "acme-ingest-source", "in/", 1_000, 3);
    let out = sluice(
        &moto,
        dir,
        &consume_into("dir:out", "4", &["--concurrency", "32"]),
    )
    .output()
    .unwrap();
    ok(out);
    assert_no_temporaries(dir);
    let records = sink_records(dir);
    assert_eq!(records.len(), 3_000);
    assert_eq!(ids_of(&records), ids);
    let files: Vec<_> = files_under(&dir.join("out"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "ndjson"))
        .collect();
    eprintln!("{} files for 1,000 objects", files.len());
    assert!(
        (1..=5).contains(&files.len()),
        "{} files for 1,000 objects: {files:?}",
        files.len()
    );
    let c = final_metrics(dir);
    assert_eq!(c["records"], 3_000, "{c}");
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

/// SQS delivers at least once: a stored copy of a message can be handed
/// out while the first is still being read. The copy waits for the first
/// and goes its way: every record written once, both copies deleted.
#[test]
fn a_second_copy_of_a_message_in_hand_writes_nothing_twice() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    let ids = upload_ids(&moto, dir, "acme-ingest-source", "in/", 1, 3);
    let url = queue_url(&moto, "acme-ingest-queue");
    // A receipt handle of the object's message (not S3's test event), which
    // stays visible (timeout 0).
    let mut handle = None;
    for _ in 0..20 {
        let got = aws_cli(
            &moto,
            &[
                "sqs",
                "receive-message",
                "--queue-url",
                &url,
                "--max-number-of-messages",
                "10",
                "--visibility-timeout",
                "0",
                "--wait-time-seconds",
                "1",
            ],
        );
        handle = got["Messages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|m| m["Body"].as_str().is_some_and(|b| b.contains("part-000")))
            .map(|m| m["ReceiptHandle"].as_str().unwrap().to_owned());
        if handle.is_some() {
            break;
        }
    }
    let handle = handle.expect("the object's event in the queue");
    let server = moto.server();
    // While the consumer reads the object, the message is visible again, as
    // when SQS hands out another copy: the consumer receives it a second time
    // while the first copy is still in hand.
    let endpoint = common::hooked_endpoint(&moto, "part-000.ndjson.gz", move || {
        aws_cli(
            server,
            &[
                "sqs",
                "change-message-visibility",
                "--queue-url",
                &url,
                "--receipt-handle",
                &handle,
                "--visibility-timeout",
                "0",
            ],
        );
        std::thread::sleep(Duration::from_secs(3));
    });
    let out = sluice(&moto, dir, &consume_into("dir:out", "3", &[]))
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .unwrap();
    ok(out);
    let records = sink_records(dir);
    assert_eq!(ids_of(&records), ids, "{}", final_metrics(dir));
    assert_eq!(records.len(), 3, "a record was written twice");
    let c = final_metrics(dir);
    // Besides S3's test event.
    assert_eq!(c["test_events"], 1, "{c}");
    assert_eq!(c["messages_received"], 3, "no second copy arrived: {c}");
    assert_eq!(c["messages_deleted"], 3, "{c}");
    assert_eq!(c["objects_duplicate"], 1, "{c}");
    assert_eq!(c["records"], 3, "{c}");
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

#[test]
fn sigterm_never_deletes_a_message_whose_records_are_not_written() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=3"]);
    let ids = upload_many(&moto, dir);
    let child = sluice(&moto, dir, &consume_args("60", &["--concurrency", "3"]))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_records(dir, 250, Duration::from_secs(60));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful stop: {}", text(&out.stderr));
    assert_no_temporaries(dir);
    let c = final_metrics(dir);
    // Every deleted message's object is complete in the sink.
    let records = sink_records(dir);
    let per_object = per_object(&records);
    let complete = per_object.values().filter(|&&n| n >= 250).count() as u64;
    let deleted = c["messages_deleted"].as_u64().unwrap();
    let test_events = c["test_events"].as_u64().unwrap();
    assert!(deleted >= 1, "{c}");
    assert!(
        complete >= deleted - test_events,
        "{deleted} deleted but only {complete} objects complete"
    );
    assert!(
        per_object.values().all(|&n| n % 250 == 0),
        "a partial object was committed: {per_object:?}"
    );
    // What was not deleted is still in the queue: a second run gets all of it.
    let out = sluice(&moto, dir, &consume_args("6", &[]))
        .output()
        .unwrap();
    ok(out);
    let got = ids_of(&sink_records(dir));
    assert!(ids.is_subset(&got), "records lost after SIGTERM");
}

#[test]
fn the_heartbeat_keeps_slow_messages_hidden() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=2"]);
    let ids = upload_many(&moto, dir);
    // Records go to a pipe nobody reads for a while: once it is full, the
    // messages being processed are held for longer than their 2 s visibility
    // timeout, and only the heartbeat keeps SQS from delivering them again.
    let mut child = sluice(
        &moto,
        dir,
        &consume_into("stdout", "2", &["--concurrency", "3"]),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_secs(6));
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c = final_metrics(dir);
    assert!(
        c["visibility_extensions"].as_u64().unwrap() >= 3,
        "held messages were not extended: {c}"
    );
    // Nothing was delivered twice: 40 objects and the s3:TestEvent, each once.
    assert_eq!(c["messages_received"], 41, "{c}");
    assert_eq!(c["messages_deleted"], 41, "{c}");
    let records: Vec<Value> = text(&stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), ids.len(), "every record exactly once");
    assert_eq!(ids_of(&records), ids);
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

#[test]
fn a_stop_hands_back_what_the_open_long_poll_brings() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A message lost in a dropped long-poll would stay invisible this long.
    apply_stack(&moto, dir, &["queue.visibility_timeout_secs=600"]);
    ok(sluice(&moto, dir, &consume_args("1", &[]))
        .output()
        .unwrap()); // the s3:TestEvent
    let args = [
        "consume",
        "--config",
        "spec.json",
        "--headless",
        "--sink",
        "dir:out",
        "--metrics",
        "metrics.ndjson",
        "--metrics-interval",
        "1",
        "--receivers",
        "1",
        "--grace",
        "30",
    ];
    fs::remove_file(dir.join("metrics.ndjson")).unwrap();
    let child = sluice(&moto, dir, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Running (its first metrics line), and so in its 20 s long-poll.
    let start = Instant::now();
    while !fs::read_to_string(dir.join("metrics.ndjson")).is_ok_and(|t| !t.is_empty()) {
        assert!(start.elapsed() < Duration::from_secs(30), "no metrics line");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let pid = child.id().to_string();
    let stopped = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // Arrives after the stop: only the poll still open can take it.
    send(&moto, r#"{"not": "an s3 event"}"#);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "graceful stop: {}", text(&out.stderr));
    assert!(
        stopped.elapsed() < Duration::from_secs(25),
        "the stop waited for more than the open poll: {:?}",
        stopped.elapsed()
    );
    let c = final_metrics(dir);
    assert_eq!(c["messages_received"], 1, "{c}");
    assert_eq!(c["messages_returned"], 1, "{c}");
    assert_eq!(c["messages_deleted"], 0, "{c}");
    assert_eq!(
        c["messages_unparseable"], 0,
        "not processed after the stop: {c}"
    );
    // Visible again at once, not hidden for the visibility timeout.
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (1, 0));
}

#[test]
fn the_fail_policy_moves_a_bad_message_to_the_dlq() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(
        &moto,
        dir,
        &[
            "queue.visibility_timeout_secs=1",
            "queue.dead_letter.max_receive_count=2",
        ],
    );
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/bad.ndjson",
        b"{\"ok\":1}\nnot json\n",
    );
    let out = sluice(
        &moto,
        dir,
        &consume_args("4", &["--on-decode-error", "fail"]),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("dead-letter queue"),
        "{}",
        text(&out.stderr)
    );
    let c = final_metrics(dir);
    assert!(c["fail_policy_errors"].as_u64().unwrap() >= 2, "{c}");
    assert_eq!(
        c["messages_deleted"], c["test_events"],
        "only the test event was deleted: {c}"
    );
    assert!(
        sink_records(dir).is_empty(),
        "nothing of a failed message is committed"
    );
    // SQS moves a message to the DLQ when it is received once more than
    // maxReceiveCount allows; the next receive (ours, or any consumer's) does it.
    std::thread::sleep(Duration::from_millis(1100));
    let url = queue_url(&moto, "acme-ingest-queue");
    let got = aws_cli(
        &moto,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--wait-time-seconds",
            "1",
        ],
    );
    assert!(got.get("Messages").is_none(), "{got}");
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue-dlq").0,
        1,
        "the message reached the DLQ"
    );
}

#[test]
fn backfill_sends_what_predates_the_notification() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Objects first, the pipeline after: no events for them.
    common::create_bucket(&moto, "acme-ingest-source");
    let local = dir.join("old");
    fs::create_dir_all(local.join("2026")).unwrap();
    for i in 0..12 {
        fs::write(
            local.join(format!("2026/day {i:02}+x.ndjson")),
            format!("{{\"day\":{i}}}\n"),
        )
        .unwrap();
    }
    fs::write(local.join("2026/notes.txt"), "not in scope\n").unwrap();
    upload_dir(&moto, &local, "in/");
    // The bucket with its data is adopted: sluice adds only its notification.
    apply_stack(
        &moto,
        dir,
        &["bucket.suffix=.ndjson", "bucket.create=false"],
    );
    let backfill = |extra: &[&str]| -> String {
        let mut args = vec!["backfill", "--config", "spec.json"];
        args.extend_from_slice(extra);
        ok(sluice(&moto, dir, &args).output().unwrap())
    };
    assert!(backfill(&["--dry-run"]).contains("13 listed, 12 matched"));
    assert!(backfill(&["--dry-run", "--match", "day 0[0-4]"]).contains("5 matched"));
    assert!(backfill(&["--dry-run", "--limit", "3"]).contains("3 matched"));
    assert!(
        backfill(&["--dry-run", "--start-after", "in/2026/day 09+x.ndjson"]).contains("2 matched")
    );
    assert!(
        backfill(&["--dry-run", "--modified-after", "2999-01-01T00:00:00Z"]).contains("0 matched")
    );
    assert!(
        backfill(&[
            "--dry-run",
            "--modified-after",
            "2000-01-01T00:00:00Z",
            "--skip-glacier"
        ])
        .contains("12 matched")
    );
    let err = sluice(
        &moto,
        dir,
        &["backfill", "--config", "spec.json", "--match", "("],
    )
    .output()
    .unwrap();
    // A bad pattern is bad usage: clap names the flag and the value, exit 2.
    assert_eq!(err.status.code(), Some(2));
    assert!(
        text(&err.stderr).contains("invalid value '(' for '--match <REGEX>'"),
        "{}",
        text(&err.stderr)
    );
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue").0,
        1,
        "dry runs send nothing (only apply's test event is there)"
    );

    let sent = backfill(&["--match", "day 0[0-4]"]);
    assert!(sent.contains("5 sent"), "{sent}");
    ok(sluice(&moto, dir, &consume_args("2", &[]))
        .output()
        .unwrap());
    let days: BTreeSet<i64> = sink_records(dir)
        .iter()
        .map(|r| r["day"].as_i64().unwrap())
        .collect();
    assert_eq!(days, BTreeSet::from([0, 1, 2, 3, 4]));
}

#[test]
fn decode_reads_a_local_file_and_reports_errors() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(
        dir.join("x.ndjson.gz"),
        gzip(b"{\"a\":1}\n{oops\n{\"a\":2}\n"),
    )
    .unwrap();
    let out = sluice(&moto, dir, &["decode", "x.ndjson.gz"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a decode error makes the exit code 1"
    );
    assert_eq!(text(&out.stdout), "{\"a\":1}\n{\"a\":2}\n");
    let err = text(&out.stderr);
    assert!(err.contains("record 1 at byte 8"), "{err}");
    assert!(
        err.contains("2 records, 1 decode errors; gzip compression, ndjson format"),
        "{err}"
    );
    let out = sluice(&moto, dir, &["decode", "missing.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot open missing.json"));
}

/// Quotes `arg` for `sh -c`.
fn sh_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// Headless `consume` at a terminal ends with a short summary in words; into
/// a pipe it ends with the JSON line automation reads.
#[test]
fn headless_consume_speaks_words_at_a_terminal_and_json_into_a_pipe() {
    if Command::new("script").arg("--version").output().is_err() {
        common::skip(
            "headless_consume_speaks_words_at_a_terminal_and_json_into_a_pipe",
            "`script` (util-linux) is not installed: no pseudo-terminal to run under",
        );
        return;
    }
    let moto = shared();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    apply_stack(&moto, dir, &[]);
    let ids = upload_records(&moto, dir, 2, 3);
    let bin = common::sluice_bin();
    let line = std::iter::once(bin.to_string_lossy().into_owned())
        .chain(
            [
                "consume",
                "--config",
                "spec.json",
                "--headless",
                "--sink",
                "dir:out",
                "--stop-when-idle",
                "3",
            ]
            .map(String::from),
        )
        .map(|a| sh_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    // script(1) runs the command on a pseudo-terminal and copies what it
    // printed to our stdout.
    let mut cmd = moto.command("script");
    cmd.current_dir(dir)
        .args(["-qec", &line, "/dev/null"])
        .stdin(Stdio::null());
    let shown = ok(common::run(&mut cmd));
    assert_eq!(ids_of(&sink_records(dir)), ids);
    assert!(
        shown.contains("sluice: 6 records from 2 objects in "),
        "{shown}"
    );
    assert!(shown.contains(", into dir:out"), "{shown}");
    assert!(shown.contains("no errors"), "{shown}");
    assert!(!shown.contains("{\""), "JSON at a terminal: {shown}");
    assert!(
        shown.lines().all(|l| l.chars().count() <= 100),
        "a line too long for a terminal: {shown}"
    );

    // The same run into a pipe: the last stderr line is the JSON summary.
    let more = upload_records(&moto, &dir.join("second"), 1, 2);
    let out = common::run(&mut sluice(
        &moto,
        dir,
        &[
            "consume",
            "--config",
            "spec.json",
            "--headless",
            "--sink",
            "dir:out",
            "--stop-when-idle",
            "3",
        ],
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let last: Value = serde_json::from_str(stderr.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(last["final"], true, "{stderr}");
    assert_eq!(last["metrics"]["counters"]["records"], more.len() as u64);
}

/// A message kept after its own decode error (the fail policy) is not left
/// hidden for the rest of its 600 s visibility timeout when the run stops:
/// the stop hands it back, and the summary says what was kept.
#[test]
fn the_stop_hands_back_what_the_fail_policy_kept() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/bad.ndjson",
        b"{\"ok\":1}\nnot json\n",
    );
    let out = sluice(
        &moto,
        dir,
        &consume_args("3", &["--on-decode-error", "fail"]),
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let c = final_metrics(dir);
    assert_eq!(c["messages_kept"], 1, "{c}");
    assert_eq!(c["messages_returned"], 1, "{c}");
    assert_eq!(
        queue_depth(&moto, "acme-ingest-queue"),
        (1, 0),
        "visible again at the stop, not hidden for 600 s"
    );
}

/// A headless run stopping when idle that finds a message in flight that is
/// not its own says whose it may be and why it waits; it waits for it to
/// come back, consumes it, and stops.
#[test]
fn an_idle_stop_explains_the_messages_in_flight_it_does_not_hold() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &[]);
    // Drain the test event, then another consumer takes the object's event.
    ok(sluice(&moto, dir, &consume_args("2", &[]))
        .output()
        .unwrap());
    put_object(
        &moto,
        dir,
        "acme-ingest-source",
        "in/held.ndjson",
        b"{\"id\":\"h\"}\n",
    );
    let url = queue_url(&moto, "acme-ingest-queue");
    let taken = aws_cli(
        &moto,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--visibility-timeout",
            "6",
            "--wait-time-seconds",
            "5",
        ],
    );
    assert_eq!(
        taken["Messages"].as_array().map(Vec::len),
        Some(1),
        "{taken}"
    );
    let started = Instant::now();
    let out = sluice(&moto, dir, &consume_args("2", &[]))
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 message is in flight that this run does not hold: another consumer is processing it, or a run that stopped without handing it back; SQS makes it visible again within the visibility timeout (600 s) at most"),
        "{stderr}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "it waited for the message"
    );
    assert!(ids_of(&sink_records(dir)).contains("h"));
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}

/// On a versioned bucket each event names its version: two writes of one key
/// deliver each write's records once, a version behind a delete marker is
/// read by its id, and a version deleted before it is read is counted and
/// named (its message goes: nothing of it can be read again).
#[test]
fn each_event_delivers_the_version_it_names() {
    let moto = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    apply_stack(&moto, dir, &["bucket.versioning=true"]);
    let bucket = "acme-ingest-source";
    put_object(
        &moto,
        dir,
        bucket,
        "in/same.json",
        b"{\"id\":\"v0-a\"}\n{\"id\":\"v0-b\"}\n",
    );
    put_object(&moto, dir, bucket, "in/same.json", b"{\"id\":\"v1-a\"}\n");
    put_object(
        &moto,
        dir,
        bucket,
        "in/hidden.json",
        b"{\"id\":\"hidden\"}\n",
    );
    aws_cli(
        &moto,
        &[
            "s3api",
            "delete-object",
            "--bucket",
            bucket,
            "--key",
            "in/hidden.json",
        ],
    );
    put_object(&moto, dir, bucket, "in/gone.json", b"{\"id\":\"gone\"}\n");
    let versions = aws_cli(
        &moto,
        &[
            "s3api",
            "list-object-versions",
            "--bucket",
            bucket,
            "--prefix",
            "in/gone.json",
        ],
    );
    let gone = versions["Versions"][0]["VersionId"]
        .as_str()
        .unwrap()
        .to_owned();
    aws_cli(
        &moto,
        &[
            "s3api",
            "delete-object",
            "--bucket",
            bucket,
            "--key",
            "in/gone.json",
            "--version-id",
            &gone,
        ],
    );
    let out = sluice(&moto, dir, &consume_args("3", &[]))
        .output()
        .unwrap();
    let said = common::said(&out);
    assert!(out.status.success(), "{said}");
    let got: Vec<String> = sink_records(dir)
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(sorted, ["hidden", "v0-a", "v0-b", "v1-a"], "{got:?}");
    let counters = final_metrics(dir);
    assert_eq!(counters["objects_not_found"], 1, "{counters}");
    // Named among the run's errors (the dashboard's, the final metrics').
    let metrics = fs::read_to_string(dir.join("metrics.ndjson")).unwrap();
    let last = metrics.lines().last().unwrap_or_default();
    assert!(
        last.contains(&format!(
            "s3://{bucket}/in/gone.json version {gone} is gone"
        )),
        "{last}"
    );
    assert_eq!(queue_depth(&moto, "acme-ingest-queue"), (0, 0));
}
