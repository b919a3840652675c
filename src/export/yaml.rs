//! A small block-style YAML emitter for the CloudFormation export.
//!
//! It writes any JSON value (keys in insertion order) as YAML that reads back
//! as the same value under YAML 1.1 and 1.2 parsers alike: a string is left
//! plain only when it is an unambiguous identifier-like word, every other
//! string is written in double quotes with JSON-compatible escapes.

use serde_json::{Map, Number, Value};

/// Spaces per nesting level.
const INDENT: usize = 2;

/// Words a YAML 1.1 or 1.2 parser would read as a boolean or null when plain.
const RESERVED_WORDS: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// `value` as a block-style YAML document, ending with a newline.
///
/// Maps and lists nest in block style; empty ones are written inline as `{}`
/// and `[]`. Numbers, booleans and null are plain; strings are quoted unless
/// [`is_plain_safe`].
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, true),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0, true),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// Writes `key: value` lines at `indent`; the first line's indentation is left
/// out when it continues a `- ` already written.
fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, pad_first: bool) {
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 || pad_first {
            pad(out, indent);
        }
        out.push_str(&string(key));
        out.push(':');
        match value {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(out, inner, indent + INDENT, true);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent + INDENT, true);
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// Writes `- item` lines at `indent`, a nested map or list starting on the dash's line.
fn write_seq(out: &mut String, items: &[Value], indent: usize, pad_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || pad_first {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, indent + INDENT, false),
            Value::Array(inner) if !inner.is_empty() => {
                write_seq(out, inner, indent + INDENT, false);
            }
            scalar => {
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar, or an empty map or list, as it stands on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Integers as they are; floats always with a fraction and a signed exponent,
/// the only float syntax YAML 1.1 and 1.2 both accept (`1e100` is a string to 1.1).
fn number(n: &Number) -> String {
    let text = n.to_string();
    if !n.is_f64() {
        return text;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text.as_str(), None),
    };
    let mut out = mantissa.to_owned();
    if !out.contains('.') {
        out.push_str(".0");
    }
    if let Some(exponent) = exponent {
        out.push('e');
        if !exponent.starts_with(['-', '+']) {
            out.push('+');
        }
        out.push_str(exponent);
    }
    out
}

/// A string, plain when that is unambiguous, double-quoted otherwise.
fn string(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        quoted(s)
    }
}

/// Whether `s` reads back as the same string when written plain: it starts
/// with a letter, holds only letters, digits and `_ - . / :`, does not end
/// with `:`, and is not a word YAML gives another meaning (`yes`, `Off`, `null`…).
/// Such a string cannot be a number, date, boolean, null, alias, tag,
/// anchor, comment, indicator or `key: value` separator.
fn is_plain_safe(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':'))
        && !s.ends_with(':')
        && !RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A double-quoted scalar. The escapes are JSON's, which YAML shares; beyond
/// JSON's, everything YAML will not take raw in a quoted scalar is escaped too:
/// C1 controls, DEL, the line and paragraph separators (line breaks to YAML
/// 1.1), the byte-order mark and the non-characters U+FFFE and U+FFFF.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tricky_strings_are_quoted_and_identifiers_are_not() {
        let cases: &[(&str, &str)] = &[
            ("Enabled", "Enabled"),
            ("AES256", "AES256"),
            ("aws:kms", "aws:kms"),
            ("Fn::GetAtt", "Fn::GetAtt"),
            (
                "arn:aws:s3:::acme-ingest-source",
                "arn:aws:s3:::acme-ingest-source",
            ),
            ("logs/2024_01.json", "logs/2024_01.json"),
            ("arn:aws:s3:::b/*", r#""arn:aws:s3:::b/*""#),
            ("s3:ObjectCreated:*", r#""s3:ObjectCreated:*""#),
            ("a: b", r#""a: b""#),
            ("key:", r#""key:""#),
            ("# not a comment", r##""# not a comment""##),
            ("a #b", r##""a #b""##),
            ("*alias", r#""*alias""#),
            ("&anchor", r#""&anchor""#),
            ("!Ref", r#""!Ref""#),
            ("-dash", r#""-dash""#),
            ("?q", r#""?q""#),
            ("{x}", r#""{x}""#),
            ("yes", r#""yes""#),
            ("No", r#""No""#),
            ("ON", r#""ON""#),
            ("off", r#""off""#),
            ("y", r#""y""#),
            ("N", r#""N""#),
            ("True", r#""True""#),
            ("null", r#""null""#),
            ("~", r#""~""#),
            ("600", r#""600""#),
            ("0x1F", r#""0x1F""#),
            ("1e3", r#""1e3""#),
            ("2010-09-09", r#""2010-09-09""#),
            (".inf", r#"".inf""#),
            ("", r#""""#),
            (" lead", r#"" lead""#),
            ("trail ", r#""trail ""#),
            ("two\nlines\r\n", r#""two\nlines\r\n""#),
            ("tab\there", r#""tab\there""#),
            ("say \"hi\" \\o/", r#""say \"hi\" \\o/""#),
            ("héllo wörld ✓ 🚀", "\"héllo wörld ✓ 🚀\""),
            (
                "bell\u{7}del\u{7f}nel\u{85}",
                r#""bell\u0007del\u007fnel\u0085""#,
            ),
            (
                "ls\u{2028}ps\u{2029}bom\u{feff}",
                r#""ls\u2028ps\u2029bom\ufeff""#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(string(input), *expected, "for {input:?}");
        }
    }

    #[test]
    fn quoted_strings_are_valid_json_strings() {
        for s in ["a: b", "tab\t\"q\"\\", "bell\u{7}\u{85}\u{2028}", "🚀 é"] {
            let back: String = serde_json::from_str(&quoted(s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(inline(&json!(null)), "null");
        assert_eq!(inline(&json!(true)), "true");
        assert_eq!(inline(&json!(false)), "false");
        assert_eq!(inline(&json!(600)), "600");
        assert_eq!(inline(&json!(-3)), "-3");
        assert_eq!(inline(&json!(0.5)), "0.5");
        assert_eq!(inline(&json!(1e100)), "1.0e+100");
        assert_eq!(inline(&json!(2.5e-7)), "2.5e-7");
        assert_eq!(inline(&json!({})), "{}");
        assert_eq!(inline(&json!([])), "[]");
        assert_eq!(to_yaml(&json!("yes")), "\"yes\"\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
    }

    #[test]
    fn block_structure() {
        let value = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "DependsOn": ["A", "B"],
                    "Properties": {
                        "VisibilityTimeout": 600,
                        "SqsManagedSseEnabled": true,
                        "Tags": [{"Key": "managed-by", "Value": "sluice"}, {"Key": "k", "Value": ""}],
                        "Empty": {},
                        "None": [],
                        "Nothing": null,
                        "Matrix": [[1, 2], [], [{"a": "b"}]],
                        "Sub": {"Fn::Sub": "arn:aws:sqs:${AWS::Region}:q"}
                    }
                }
            }
        });
        let expected = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Queue:
    Type: AWS::SQS::Queue
    DependsOn:
      - A
      - B
    Properties:
      VisibilityTimeout: 600
      SqsManagedSseEnabled: true
      Tags:
        - Key: managed-by
          Value: sluice
        - Key: k
          Value: ""
      Empty: {}
      None: []
      Nothing: null
      Matrix:
        - - 1
          - 2
        - []
        - - a: b
      Sub:
        Fn::Sub: "arn:aws:sqs:${AWS::Region}:q"
"#;
        assert_eq!(to_yaml(&value), expected);
    }

    #[test]
    fn top_level_list_and_key_quoting() {
        let value = json!([{"a: b": 1, "yes": "no"}, "x"]);
        assert_eq!(to_yaml(&value), "- \"a: b\": 1\n  \"yes\": \"no\"\n- x\n");
    }
}
