//! A top-level JSON array, streamed element by element.
//!
//! Only the current element is ever buffered. Elements are re-emitted
//! compactly. An element over `max_record_bytes` is reported and skipped by
//! a structural scan (strings and nesting only) that buffers nothing; a
//! malformed element is reported and then ends the object as corrupt, since
//! the array's framing past it cannot be trusted.

use std::io::Read;

use super::json::{Scan, scan};
use super::window::Window;
use super::{Emitter, Stop};

/// Where the framer is inside the array.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Just after `[`: an element or `]`.
    Open,
    /// Just after `,`: an element.
    Comma,
    /// Just after an element: `,` or `]`.
    Element,
}

/// Frames the elements of the array that starts at the window's first
/// non-whitespace byte.
pub(crate) fn run<R: Read>(
    w: &mut Window<R>,
    em: &mut Emitter<'_>,
    max_record: usize,
) -> Result<(), Stop> {
    if !w.skip_ws()? || w.data()[0] != b'[' {
        return Err(Stop::Corrupt(format!(
            "expected '[' at the start of a JSON array (offset {})",
            w.offset()
        )));
    }
    w.consume(1);
    let mut state = State::Open;
    loop {
        if !w.skip_ws()? {
            return Err(Stop::Corrupt(
                "truncated JSON array: the object ends before the closing ']'".to_owned(),
            ));
        }
        let b = w.data()[0];
        match (state, b) {
            (State::Open | State::Element, b']') => {
                w.consume(1);
                break;
            }
            (State::Element, b',') => {
                w.consume(1);
                state = State::Comma;
            }
            (State::Element, _) => {
                return Err(Stop::Corrupt(format!(
                    "expected ',' or ']' after an array element at offset {}",
                    w.offset()
                )));
            }
            (State::Open | State::Comma, _) => {
                element(w, em, max_record)?;
                state = State::Element;
            }
        }
    }
    // Only whitespace may follow; reading on to the end also lets the
    // decompressor verify its checksum.
    if w.skip_ws()? {
        return Err(Stop::Corrupt(format!(
            "unexpected data after the JSON array at offset {}",
            w.offset()
        )));
    }
    Ok(())
}

/// One element, starting at the window's first byte.
fn element<R: Read>(
    w: &mut Window<R>,
    em: &mut Emitter<'_>,
    max_record: usize,
) -> Result<(), Stop> {
    let offset = w.offset();
    loop {
        let data = w.data();
        match scan(data, w.is_eof()) {
            Scan::Complete { end, .. } if end > max_record => {
                em.error(
                    offset,
                    format!("array element is larger than max_record_bytes ({max_record} bytes)"),
                    data,
                );
                w.consume(end);
                return Ok(());
            }
            Scan::Complete { end, compact } => {
                em.json(offset, &data[..end], compact)?;
                w.consume(end);
                return Ok(());
            }
            Scan::Incomplete if data.len() > max_record => {
                em.error(
                    offset,
                    format!("array element is larger than max_record_bytes ({max_record} bytes)"),
                    data,
                );
                return skip_value(w);
            }
            Scan::Incomplete if w.is_eof() => {
                return Err(Stop::Corrupt(
                    "truncated JSON array: the object ends inside an element".to_owned(),
                ));
            }
            Scan::Incomplete => {
                w.fill()?;
            }
            Scan::Invalid { at, msg } => {
                let index = em.index();
                em.error(
                    offset,
                    format!("invalid JSON at byte {at} of the array element: {msg}"),
                    &data[..(at + 1).min(data.len())],
                );
                return Err(Stop::Corrupt(format!(
                    "array element {index} is malformed; the rest of the array is unreadable"
                )));
            }
        }
    }
}

/// Skips one (oversized) value without buffering it: tracks only strings and
/// nesting, stopping after the value's closing byte, or before the `,`/`]`
/// that ends a scalar.
fn skip_value<R: Read>(w: &mut Window<R>) -> Result<(), Stop> {
    let mut depth: u64 = 0;
    let mut in_string = false;
    let mut escaped = false;
    loop {
        let data = w.data();
        for (i, &b) in data.iter().enumerate() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                    if depth == 0 {
                        w.consume(i + 1);
                        return Ok(());
                    }
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => {
                    w.consume(i);
                    return Ok(());
                }
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        w.consume(i + 1);
                        return Ok(());
                    }
                }
                b',' if depth == 0 => {
                    w.consume(i);
                    return Ok(());
                }
                _ => {}
            }
        }
        w.consume_all();
        if !w.fill()? {
            return Err(Stop::Corrupt(
                "truncated JSON array: the object ends inside an element".to_owned(),
            ));
        }
    }
}
