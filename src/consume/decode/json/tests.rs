use super::*;
use proptest::prelude::*;

fn complete(s: &str) -> Option<usize> {
    match scan(s.as_bytes(), true) {
        Scan::Complete { end, .. } => Some(end),
        _ => None,
    }
}

#[test]
fn accepts_values() {
    for ok in [
        "{}",
        "[]",
        "0",
        "-0.5e+10",
        "1E5",
        "\"a\\u00e9\\n\"",
        "true",
        "false",
        "null",
        r#"{"a":[1,2,{"b":null}],"c":"d"}"#,
        "{ \"a\" : [ 1 , 2 ] }",
        r#"["\"\\\/\b\f\n\r\t"]"#,
    ] {
        assert_eq!(complete(ok), Some(ok.len()), "{ok}");
    }
}

#[test]
fn rejects_invalid() {
    for bad in [
        "{a:1}",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "-",
        "1.",
        "1e",
        "tru",
        "trux",
        "\"a\tb\"",
        "\"\\x\"",
        "\"\\u12g4\"",
        "{\"a\" 1}",
        "[1 2]",
        "}",
    ] {
        assert!(
            !matches!(scan(bad.as_bytes(), true), Scan::Complete { end, .. } if end == bad.len()),
            "{bad}"
        );
    }
}

#[test]
fn incomplete_vs_complete() {
    assert_eq!(scan(b"{\"a\":", true), Scan::Incomplete);
    assert_eq!(scan(b"\"abc", true), Scan::Incomplete);
    assert_eq!(scan(b"12", false), Scan::Incomplete);
    assert_eq!(
        scan(b"12", true),
        Scan::Complete {
            end: 2,
            compact: true
        }
    );
    assert_eq!(
        scan(b"12 ", false),
        Scan::Complete {
            end: 2,
            compact: true
        }
    );
    assert_eq!(
        scan(b"{\"a\":1}{", false),
        Scan::Complete {
            end: 7,
            compact: true
        }
    );
    assert_eq!(
        scan(b"{\"a\": 1}", false),
        Scan::Complete {
            end: 8,
            compact: false
        }
    );
}

#[test]
fn digit_runs() {
    for s in [
        "",
        "1",
        "123456789",
        "12345678x",
        "1234567890123456789 ",
        "12:",
        "9/",
        "0a",
    ] {
        let expected = s.bytes().take_while(u8::is_ascii_digit).count();
        assert_eq!(digits(s.as_bytes(), 0), expected, "{s:?}");
    }
    let all: Vec<u8> = (0..=255).collect();
    for (k, b) in all.iter().enumerate() {
        let mut word = *b"00000000";
        word[3] = *b;
        let expected = if b.is_ascii_digit() { 8 } else { 3 };
        assert_eq!(digits(&word, 0), expected, "byte {k}");
    }
}

#[test]
fn depth_limit() {
    let deep = "[".repeat(129) + &"]".repeat(129);
    assert!(matches!(scan(deep.as_bytes(), true), Scan::Invalid { .. }));
    let ok = "[".repeat(128) + &"]".repeat(128);
    assert_eq!(complete(&ok), Some(ok.len()));
}

#[test]
fn compacts_outside_strings_only() {
    let mut out = Vec::new();
    compact_into(b"{ \"a b\" : [ 1,\n 2 ], \"c\\\" \": \" x \" }", &mut out);
    assert_eq!(out, b"{\"a b\":[1,2],\"c\\\" \":\" x \"}");
}

#[test]
fn escapes() {
    let mut out = Vec::new();
    escape_into(b"a\"b\\c\nd\x01e", &mut out);
    assert_eq!(out, b"a\\\"b\\\\c\\nd\\u0001e");
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        ".*".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::vec((".*", inner), 0..8)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[test]
fn masks_kept_between_values_still_see_non_ascii() {
    // The second value's non-ASCII byte lies under the mask made while
    // scanning the first.
    let buf = "{\"a\":\"x\"}\n{\"b\":\"\u{e9}\"}\n".as_bytes();
    let mut specials = Specials::default();
    let (first, ascii) = scan_line(buf, 0, &mut specials);
    assert_eq!(
        first,
        Scan::Complete {
            end: 9,
            compact: true
        }
    );
    // Conservative: the mask reached the next line's byte.
    assert!(!ascii);
    let (second, ascii) = scan_line(&buf[10..], 10, &mut specials);
    assert_eq!(
        second,
        Scan::Complete {
            end: 10,
            compact: true
        }
    );
    assert!(!ascii);
    // A value spanning lines stops at the LF, inside a string or not.
    assert_eq!(
        scan_line(b"{\"a\":\n1}", 0, &mut Specials::default()).0,
        Scan::Incomplete
    );
    assert!(matches!(
        scan_line(b"[\"a\n\"]", 0, &mut Specials::default()).0,
        Scan::Invalid { at: 3, .. }
    ));
}

fn line_byte() -> impl Strategy<Value = u8> {
    prop::sample::select(b"[]{}\",:0123456789eE.+-truefalsn\\ \n\t\r\xc3\xa9\xff\x01".to_vec())
}

proptest! {
    /// The SSE2 masks and the fallback's agree, at the end of a buffer too.
    #[test]
    fn special_masks_agree(buf in prop::collection::vec(line_byte(), 0..100), at in 0usize..100) {
        let at = at.min(buf.len());
        let (sse, high) = special_mask(&buf, at);
        prop_assert_eq!(sse, special_mask_swar(&buf, at).0);
        let end = buf.len().min(at + 64);
        if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
            prop_assert_eq!(high, !buf[at..end].is_ascii());
        }
    }

    /// `scan_line` on a buffer that runs on past an LF finds the value
    /// that `scan` finds in the buffer cut at that LF, and calls it ASCII
    /// only when it is.
    #[test]
    fn scan_line_agrees_with_scan_cut_at_the_lf(
        buf in prop::collection::vec(line_byte(), 0..48),
        origin in 0u64..1000,
    ) {
        let cut = memchr::memchr(b'\n', &buf).unwrap_or(buf.len());
        let (ours, ascii) = scan_line(&buf, origin, &mut Specials::default());
        if let Scan::Complete { end, .. } = ours {
            prop_assert!(end <= cut);
            prop_assert_eq!(scan(&buf[..cut], true), ours);
            if ascii {
                prop_assert!(buf[..end].is_ascii());
            }
        }
    }

    /// Agrees with serde_json on serialised values, compact and pretty,
    /// and compaction round-trips to the compact form.
    #[test]
    fn agrees_with_serde_on_values(v in json_value()) {
        let compact = serde_json::to_vec(&v).unwrap();
        prop_assert_eq!(scan(&compact, true), Scan::Complete { end: compact.len(), compact: true });
        let pretty = serde_json::to_vec_pretty(&v).unwrap();
        let Scan::Complete { end, .. } = scan(&pretty, true) else {
            return Err(TestCaseError::fail("pretty value rejected"));
        };
        prop_assert_eq!(end, pretty.len());
        let mut out = Vec::new();
        compact_into(&pretty, &mut out);
        prop_assert_eq!(out, compact);
    }

    /// On arbitrary ASCII-ish bytes, "complete and whole" matches serde_json.
    #[test]
    fn agrees_with_serde_on_noise(s in r#"[\[\]{}",:0-9eE.+\-a-z\\ ]{0,24}"#) {
        let ours = matches!(scan(s.as_bytes(), true), Scan::Complete { end, .. } if s.as_bytes()[end..].iter().all(|b| *b == b' '));
        let theirs = serde_json::from_str::<serde::de::IgnoredAny>(&s).is_ok();
        prop_assert_eq!(ours, theirs, "input {:?}", s);
    }
}
