//! What the spec loader checks in the JSON text itself: duplicate keys
//! (serde keeps the last one silently), with where each one is; and how
//! text from a spec is shown safely (control characters escaped).

/// A key given twice in one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// Dotted path of the key, e.g. `queue.name`.
    pub path: String,
    /// (line, column) of each occurrence, 1-based.
    pub first: (usize, usize),
    pub second: (usize, usize),
}

/// Every duplicate key of a JSON text that parses (anything else is left to
/// the parser's own error).
pub fn duplicate_keys(text: &str) -> Vec<Duplicate> {
    let mut scan = Scan {
        chars: text.char_indices().peekable(),
        line: 1,
        column: 0,
        out: Vec::new(),
    };
    scan.value("");
    scan.out
}

struct Scan<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    line: usize,
    column: usize,
    out: Vec<Duplicate>,
}

impl Scan<'_> {
    fn next(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 0;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.next();
        }
    }

    /// A string (its opening quote next), unescaped enough to compare keys.
    fn string(&mut self) -> String {
        self.next();
        let mut out = String::new();
        while let Some(c) = self.next() {
            match c {
                '"' => break,
                '\\' => {
                    if let Some(e) = self.next() {
                        out.push('\\');
                        out.push(e);
                    }
                }
                c => out.push(c),
            }
        }
        out
    }

    fn value(&mut self, path: &str) {
        self.skip_space();
        match self.peek() {
            Some('{') => self.object(path),
            Some('[') => {
                self.next();
                let mut index = 0;
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(']') | None => {
                            self.next();
                            return;
                        }
                        Some(',') => {
                            self.next();
                            index += 1;
                        }
                        _ => self.value(&format!("{path}[{index}]")),
                    }
                }
            }
            Some('"') => {
                self.string();
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, ',' | '}' | ']') && !c.is_whitespace())
                {
                    self.next();
                }
            }
        }
    }

    fn object(&mut self, path: &str) {
        self.next();
        let mut seen: Vec<(String, (usize, usize))> = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Some('}') | None => {
                    self.next();
                    return;
                }
                Some(',') => {
                    self.next();
                }
                Some('"') => {
                    let at = (self.line, self.column + 1);
                    let key = self.string();
                    let full = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        self.out.push(Duplicate {
                            path: full.clone(),
                            first: *first,
                            second: at,
                        });
                    } else {
                        seen.push((key, at));
                    }
                    self.skip_space();
                    if self.peek() == Some(':') {
                        self.next();
                    }
                    self.value(&full);
                }
                _ => {
                    self.next();
                }
            }
        }
    }
}

/// `text` with every control character escaped (`\u{1b}`), so a spec cannot
/// send terminal escapes through an error message.
pub fn escape(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_with_both_places() {
        let text = "{\n  \"name\": \"a\",\n  \"queue\": {\"name\": \"q\", \"name\": \"r\"},\n  \"name\": \"b\",\n  \"tags\": [{\"x\": 1, \"x\": 2}]\n}";
        let found = duplicate_keys(text);
        assert_eq!(
            found,
            [
                Duplicate {
                    path: "queue.name".into(),
                    first: (3, 13),
                    second: (3, 26)
                },
                Duplicate {
                    path: "name".into(),
                    first: (2, 3),
                    second: (4, 3)
                },
                Duplicate {
                    path: "tags[0].x".into(),
                    first: (5, 13),
                    second: (5, 21)
                },
            ]
        );
        assert!(duplicate_keys(r#"{"a": {"b": 1}, "c": {"b": 2}, "s": "a\"b"}"#).is_empty());
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("plain\nline"), "plain\nline");
        assert_eq!(escape("\u{1b}[31mred"), "\\u{1b}[31mred");
    }
}
