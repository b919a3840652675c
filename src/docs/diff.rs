//! Line diffs of JSON documents, for the plan and the wizard's preview.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffTag {
    /// `@@ -a,b +c,d @@`: where the next lines stand.
    Hunk,
    Context,
    Insert,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: DiffTag,
    /// The line without its newline and without a `+`/`-`/` ` marker.
    pub text: String,
}

impl DiffLine {
    /// The line as a unified diff writes it.
    pub fn unified(&self) -> String {
        match self.tag {
            DiffTag::Hunk => self.text.clone(),
            DiffTag::Context => format!(" {}", self.text),
            DiffTag::Insert => format!("+{}", self.text),
            DiffTag::Delete => format!("-{}", self.text),
        }
    }
}

impl DiffLine {
    /// The unified line, in ANSI colour when `color` is set (hunks cyan,
    /// insertions green, deletions red).
    pub fn painted(&self, color: bool) -> String {
        let code = match self.tag {
            DiffTag::Hunk => "36",
            DiffTag::Insert => "32",
            DiffTag::Delete => "31",
            DiffTag::Context => "",
        };
        if color && !code.is_empty() {
            format!("\x1b[{code}m{}\x1b[0m", self.unified())
        } else {
            self.unified()
        }
    }
}

/// Pretty JSON of an optional document: nothing for `None`.
pub fn pretty_or_empty(doc: Option<&Value>) -> String {
    doc.map(super::to_pretty).unwrap_or_default()
}

/// A unified diff (three lines of context) from `before` to `after`, each
/// pretty-printed. Empty when they are equal.
pub fn json_diff(before: Option<&Value>, after: Option<&Value>) -> Vec<DiffLine> {
    let old = pretty_or_empty(before);
    let new = pretty_or_empty(after);
    let diff = TextDiff::from_lines(&old, &new);
    let mut lines = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        lines.push(DiffLine {
            tag: DiffTag::Hunk,
            text: hunk.header().to_string(),
        });
        for change in hunk.iter_changes() {
            let tag = match change.tag() {
                ChangeTag::Equal => DiffTag::Context,
                ChangeTag::Insert => DiffTag::Insert,
                ChangeTag::Delete => DiffTag::Delete,
            };
            lines.push(DiffLine {
                tag,
                text: change.value().trim_end_matches('\n').to_owned(),
            });
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_documents_have_no_diff() {
        let doc = json!({"a": 1});
        assert!(json_diff(Some(&doc), Some(&doc)).is_empty());
    }

    #[test]
    fn a_new_document_is_all_insertions() {
        let lines = json_diff(None, Some(&json!({"a": 1})));
        let text: Vec<String> = lines.iter().map(DiffLine::unified).collect();
        assert_eq!(text, ["@@ -0,0 +1,3 @@", "+{", "+  \"a\": 1", "+}"]);
    }

    #[test]
    fn a_change_shows_both_sides_with_context() {
        let before = json!({"Version": "2012-10-17", "VisibilityTimeout": "30", "Other": "x"});
        let after = json!({"Version": "2012-10-17", "VisibilityTimeout": "600", "Other": "x"});
        let text: Vec<String> = json_diff(Some(&before), Some(&after))
            .iter()
            .map(DiffLine::unified)
            .collect();
        assert_eq!(
            text,
            [
                "@@ -1,5 +1,5 @@",
                " {",
                "   \"Version\": \"2012-10-17\",",
                "-  \"VisibilityTimeout\": \"30\",",
                "+  \"VisibilityTimeout\": \"600\",",
                "   \"Other\": \"x\"",
                " }",
            ]
        );
    }
}
