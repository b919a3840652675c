//! The HCL that `main.tf` is written in: expressions, blocks and the file,
//! rendered as `terraform fmt` writes them, and the quoting of strings.

use serde_json::Value;

use crate::docs::ACCOUNT_PLACEHOLDER;

/// The expression the account placeholder stands for.
pub(super) const ACCOUNT_ID: &str = "data.aws_caller_identity.current.account_id";
/// Spaces per nesting level, as `terraform fmt` writes them.
const INDENT: usize = 2;
/// Lists of scalars longer than this are written one item a line.
const MAX_INLINE_LIST: usize = 80;

/// An HCL expression.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// Written as it is: a reference, a number, a boolean or null.
    Raw(String),
    /// A quoted string; [`ACCOUNT_PLACEHOLDER`] in it becomes the caller's account id.
    Str(String),
    List(Vec<Expr>),
    /// An object constructor, keys in order.
    Object(Vec<(String, Expr)>),
    /// `jsonencode(...)` of the expression.
    JsonEncode(Box<Expr>),
}

impl Expr {
    pub(super) fn raw(text: impl Into<String>) -> Self {
        Expr::Raw(text.into())
    }

    pub(super) fn str(text: &str) -> Self {
        Expr::Str(text.to_owned())
    }

    pub(super) fn from_json(value: &Value) -> Self {
        match value {
            Value::Null => Expr::raw("null"),
            Value::Bool(b) => Expr::raw(b.to_string()),
            Value::Number(n) => Expr::raw(n.to_string()),
            Value::String(s) => Expr::Str(s.clone()),
            Value::Array(items) => Expr::List(items.iter().map(Expr::from_json).collect()),
            Value::Object(map) => Expr::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), Expr::from_json(value)))
                    .collect(),
            ),
        }
    }

    pub(super) fn jsonencode(document: &impl serde::Serialize) -> Self {
        Expr::JsonEncode(Box::new(Expr::from_json(&crate::docs::json(document))))
    }

    /// Every string equal to `literal` replaced by the reference `reference`.
    pub(super) fn with_reference(self, literal: &str, reference: &str) -> Self {
        match self {
            Expr::Str(s) if s == literal => Expr::raw(reference),
            Expr::List(items) => Expr::List(
                items
                    .into_iter()
                    .map(|e| e.with_reference(literal, reference))
                    .collect(),
            ),
            Expr::Object(entries) => Expr::Object(
                entries
                    .into_iter()
                    .map(|(k, e)| (k, e.with_reference(literal, reference)))
                    .collect(),
            ),
            Expr::JsonEncode(inner) => {
                Expr::JsonEncode(Box::new(inner.with_reference(literal, reference)))
            }
            other => other,
        }
    }

    /// The expression as written at nesting level `indent`; lines after the
    /// first are indented absolutely.
    fn render(&self, indent: usize) -> String {
        match self {
            Expr::Raw(text) => text.clone(),
            // Not `"${...}"`: an interpolation-only string is the reference itself.
            Expr::Str(text) if text == ACCOUNT_PLACEHOLDER => ACCOUNT_ID.to_owned(),
            Expr::Str(text) => template(text),
            Expr::JsonEncode(inner) => format!("jsonencode({})", inner.render(indent)),
            Expr::List(items) if items.is_empty() => "[]".to_owned(),
            Expr::List(items) => {
                let rendered: Vec<String> =
                    items.iter().map(|e| e.render(indent + INDENT)).collect();
                let scalars = items
                    .iter()
                    .all(|e| matches!(e, Expr::Raw(_) | Expr::Str(_)));
                let inline = format!("[{}]", rendered.join(", "));
                if scalars && inline.len() <= MAX_INLINE_LIST && !inline.contains('\n') {
                    return inline;
                }
                let mut out = String::from("[\n");
                for item in rendered {
                    pad(&mut out, indent + INDENT);
                    out.push_str(&item);
                    out.push_str(",\n");
                }
                pad(&mut out, indent);
                out.push(']');
                out
            }
            Expr::Object(entries) if entries.is_empty() => "{}".to_owned(),
            Expr::Object(entries) => {
                let lines: Vec<(String, String)> = entries
                    .iter()
                    .map(|(key, value)| (object_key(key), value.render(indent + INDENT)))
                    .collect();
                let mut out = String::from("{\n");
                write_assignments(&mut out, &lines, indent + INDENT);
                pad(&mut out, indent);
                out.push('}');
                out
            }
        }
    }
}

/// One entry of a body.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Attr(String, Expr),
    Block(Block),
    Comment(String),
}

/// A block: its type, labels and body.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Block {
    header: String,
    items: Vec<Item>,
}

impl Block {
    pub(super) fn new(kind: &str, labels: &[&str]) -> Self {
        let mut header = kind.to_owned();
        for label in labels {
            header.push(' ');
            header.push_str(&template(label));
        }
        Block {
            header,
            items: Vec::new(),
        }
    }

    pub(super) fn resource(kind: &str, name: &str) -> Self {
        Block::new("resource", &[kind, name])
    }

    pub(super) fn attr(&mut self, name: &str, expr: Expr) -> &mut Self {
        self.items.push(Item::Attr(name.to_owned(), expr));
        self
    }

    pub(super) fn block(&mut self, block: Block) -> &mut Self {
        self.items.push(Item::Block(block));
        self
    }

    pub(super) fn comment(&mut self, text: &str) -> &mut Self {
        self.items.push(Item::Comment(text.to_owned()));
        self
    }

    /// An API document as the provider's arguments: scalar members become
    /// arguments, object members nested blocks, and lists of objects (`Rules`)
    /// repeated blocks named in the singular (`rule`); names in snake case.
    pub(super) fn document(&mut self, document: &impl serde::Serialize) -> &mut Self {
        let document = crate::docs::json(document);
        for (key, value) in document.as_object().into_iter().flatten() {
            let name = snake_case(key);
            match value {
                Value::Object(_) => {
                    let mut nested = Block::new(&name, &[]);
                    nested.document(value);
                    self.block(nested);
                }
                Value::Array(items) if items.iter().any(Value::is_object) => {
                    let singular = name.strip_suffix('s').unwrap_or(&name);
                    for item in items {
                        let mut nested = Block::new(singular, &[]);
                        nested.document(item);
                        self.block(nested);
                    }
                }
                scalar => {
                    self.attr(&name, Expr::from_json(scalar));
                }
            }
        }
        self
    }

    fn write(&self, out: &mut String, indent: usize) {
        pad(out, indent);
        out.push_str(&self.header);
        if self.items.is_empty() {
            out.push_str(" {}\n");
            return;
        }
        out.push_str(" {\n");
        let mut run: Vec<(String, String)> = Vec::new();
        for item in &self.items {
            if let Item::Attr(name, expr) = item {
                run.push((name.clone(), expr.render(indent + INDENT)));
                continue;
            }
            write_assignments(out, &run, indent + INDENT);
            run.clear();
            match item {
                Item::Block(block) => block.write(out, indent + INDENT),
                Item::Comment(text) => write_comment(out, text, indent + INDENT),
                Item::Attr(..) => {}
            }
        }
        write_assignments(out, &run, indent + INDENT);
        pad(out, indent);
        out.push_str("}\n");
    }
}

/// The top level of the file: blocks and comments, a blank line between blocks.
#[derive(Debug, Default)]
pub(super) struct File {
    out: String,
}

impl File {
    pub(super) fn comment(&mut self, text: &str) {
        self.separate();
        write_comment(&mut self.out, text, 0);
    }

    pub(super) fn block(&mut self, block: Block) {
        self.separate();
        block.write(&mut self.out, 0);
    }

    /// A block right under the comment before it.
    pub(super) fn attached_block(&mut self, block: Block) {
        block.write(&mut self.out, 0);
    }

    fn separate(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    pub(super) fn render(self) -> String {
        self.out
    }
}

/// `name = value` lines, the `=` aligned across each run of one-line values
/// as `terraform fmt` aligns them; a multi-line value ends the run.
fn write_assignments(out: &mut String, lines: &[(String, String)], indent: usize) {
    let mut start = 0;
    while start < lines.len() {
        let end = lines[start..]
            .iter()
            .position(|(_, value)| value.contains('\n'))
            .map_or(lines.len(), |i| start + i);
        let width = lines[start..end]
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0);
        for (name, value) in &lines[start..end] {
            pad(out, indent);
            out.push_str(name);
            pad(out, width - name.chars().count());
            out.push_str(" = ");
            out.push_str(value);
            out.push('\n');
        }
        if let Some((name, value)) = lines.get(end) {
            pad(out, indent);
            out.push_str(name);
            out.push_str(" = ");
            out.push_str(value);
            out.push('\n');
        }
        start = end + 1;
    }
}

fn write_comment(out: &mut String, text: &str, indent: usize) {
    for line in text.lines() {
        pad(out, indent);
        out.push('#');
        if !line.is_empty() {
            out.push(' ');
            out.push_str(&line.replace(|c: char| c.is_control(), " "));
        }
        out.push('\n');
    }
}

fn pad(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

/// An object key: bare when it is a plain identifier, quoted otherwise.
pub(super) fn object_key(key: &str) -> String {
    let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(key, "true" | "false" | "null" | "for" | "in" | "if");
    if identifier {
        key.to_owned()
    } else {
        template(key)
    }
}

/// A quoted HCL string whose only interpolation is the account id, where
/// `text` holds [`ACCOUNT_PLACEHOLDER`].
pub(super) fn template(text: &str) -> String {
    let mut out = String::from("\"");
    let mut segments = text.split(ACCOUNT_PLACEHOLDER).peekable();
    while let Some(segment) = segments.next() {
        let literal = escape(segment);
        if segments.peek().is_none() {
            out.push_str(&literal);
            break;
        }
        // `$` right before `${` would read as the escape `$${`: write it as an interpolation.
        match literal.strip_suffix('$') {
            Some(head) => {
                out.push_str(head);
                out.push_str("${\"$\"}");
            }
            None => out.push_str(&literal),
        }
        out.push_str("${");
        out.push_str(ACCOUNT_ID);
        out.push('}');
    }
    out.push('"');
    out
}

/// `text` as the literal body of a quoted HCL string: backslash escapes, and
/// the template introducers `${` and `%{` doubled so they stay literal.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.replace("${", "$${").replace("%{", "%%{")
}

/// `BlockPublicAcls` → `block_public_acls`, `KMSMasterKeyID` → `kms_master_key_id`.
pub(super) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
