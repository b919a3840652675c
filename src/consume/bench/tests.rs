use super::dataset::generate;
use super::*;

#[test]
fn datasets_decode_with_expected_records() {
    let mut buf = Vec::new();
    let n = generate(&mut buf, Layout::Ndjson, 100_000).unwrap();
    assert_eq!(buf.iter().filter(|&&b| b == b'\n').count() as u64, n);
    let avg = buf.len() as u64 / n;
    assert!((200..=400).contains(&avg), "{avg}");
    for layout in [Layout::Concatenated, Layout::Array, Layout::Csv] {
        let mut buf = Vec::new();
        let n = generate(&mut buf, layout, 50_000).unwrap();
        let mut sink = NullSink::default();
        let info = ObjectInfo {
            key: match layout {
                Layout::Csv => "x.csv",
                _ => "x",
            },
            ..ObjectInfo::default()
        };
        let s = decode(
            buf.as_slice(),
            &info,
            &DecodeOptions::default(),
            &mut sink,
            &mut |e| panic!("{e:?}"),
        )
        .unwrap();
        assert_eq!(s.records, n);
    }
}

#[test]
fn tiny_run_produces_a_report() {
    let mut out = Vec::new();
    let report = run(
        &BenchOptions {
            size_mb: 1,
            python: None,
        },
        &mut out,
    )
    .unwrap();
    assert_eq!(report.rows.len(), 6);
    assert!(report.rows.iter().all(|r| r.records > 0 && r.seconds > 0.0));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("| sluice ndjson.gz |"), "{text}");
    assert!(text.contains("peak RSS"), "{text}");
}
