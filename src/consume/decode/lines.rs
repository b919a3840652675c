//! NDJSON and concatenated JSON: one framer for both.
//!
//! NDJSON is the special case of concatenated JSON where every value sits on
//! its own line, so both share a line-first fast path: scan each line as one
//! value and pass a run of such lines to the sink unchanged, as one slice of
//! the window. The line's own LF is not searched for when the value ends
//! right before it: the scanner stops at an LF outside a string itself.
//! Only when a line does not hold exactly one value does the concatenated
//! framer fall back to scanning across lines (pretty-printed values) or
//! splitting a line (`{..}{..}`). In strict NDJSON mode that fallback is an
//! error for the line instead.

use std::io::Read;

use memchr::memchr;

use super::json::{Scan, Specials, is_value_start, scan, scan_line};
use super::window::Window;
use super::{Emitter, Stop};

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., last] = line {
        if is_ws(*last) {
            line = rest;
        } else {
            break;
        }
    }
    line
}

fn oversize_message(max: usize) -> String {
    format!("record is larger than max_record_bytes ({max} bytes)")
}

/// Frames JSON values. `strict` is NDJSON (exactly one value per line);
/// otherwise values may span lines or share one. Returns whether any value
/// did either (the stream is then reported as concatenated, not NDJSON).
pub(crate) fn run<R: Read>(
    w: &mut Window<R>,
    em: &mut Emitter<'_>,
    max_record: usize,
    strict: bool,
) -> Result<bool, Stop> {
    let mut concatenated = false;
    // Stream offset up to which the buffered bytes are known to hold no LF,
    // so values packed on one long line do not rescan the window each time.
    let mut no_lf_until = 0u64;
    let mut specials = Specials::default();
    loop {
        if !w.skip_ws()? {
            return Ok(concatenated);
        }
        let offset = w.offset();
        let data = w.data();
        // The common case first: a run of values each alone on its line,
        // scanned without looking for the LF first and handed to the sink
        // as one slice of the window. Anything else takes the general path
        // below (which finds the same value, or reports the error).
        let (taken, count, single) = line_run(data, offset, max_record, &mut specials);
        if count > 0 {
            em.lines(&data[..taken], count)?;
        }
        if let Some(Line { end, next, ascii }) = single {
            em.line(offset + taken as u64, &data[taken..taken + end], ascii)?;
            w.consume(taken + next);
            continue;
        }
        if taken > 0 {
            w.consume(taken);
            continue;
        }
        let known = usize::try_from(no_lf_until.saturating_sub(offset))
            .map_or(data.len(), |k| k.min(data.len()));
        let nl = memchr(b'\n', &data[known..]).map(|p| known + p);
        if nl.is_none() {
            no_lf_until = offset + data.len() as u64;
        }
        let line_end = match nl {
            Some(p) => p,
            None if w.is_eof() => data.len(),
            None if strict => {
                if data.len() > max_record {
                    em.error(offset, oversize_message(max_record), data);
                    w.skip_line()?;
                } else {
                    w.fill()?;
                }
                continue;
            }
            None => {
                // No LF buffered yet. Values packed on one long line must not
                // wait for a line end, so look at the value itself.
                match scan(data, false) {
                    Scan::Complete { end, compact }
                        if end <= max_record && data[end..].iter().any(|&b| !is_ws(b)) =>
                    {
                        concatenated = true;
                        em.json(offset, &data[..end], compact)?;
                        w.consume(end);
                    }
                    _ if data.len() > max_record => {
                        concatenated = true;
                        multi_line(w, em, max_record, offset)?;
                    }
                    _ => {
                        w.fill()?;
                    }
                }
                continue;
            }
        };
        let line = trim_end(&data[..line_end]);
        let after_line = nl.map_or(line_end, |p| p + 1);
        if strict && line.len() > max_record {
            em.error(offset, oversize_message(max_record), line);
            w.consume(after_line);
            continue;
        }
        match scan(line, true) {
            Scan::Complete { end, compact } => {
                let value = &line[..end];
                let rest_is_ws = line[end..].iter().all(|&b| is_ws(b));
                if end > max_record {
                    em.error(offset, oversize_message(max_record), value);
                    if strict {
                        w.consume(after_line);
                    } else {
                        resync(w)?;
                    }
                } else if rest_is_ws {
                    // One value on its own line: passed through unchanged.
                    em.json(offset, value, true)?;
                    w.consume(after_line);
                } else if strict {
                    em.error(
                        offset,
                        format!("unexpected data after the JSON value at byte {end} of the line"),
                        line,
                    );
                    w.consume(after_line);
                } else {
                    concatenated = true;
                    em.json(offset, value, compact)?;
                    w.consume(end);
                }
            }
            Scan::Incomplete if strict || nl.is_none() => {
                em.error(
                    offset,
                    "truncated JSON value (the line ends inside it)".to_owned(),
                    line,
                );
                w.consume(after_line);
            }
            Scan::Incomplete => {
                concatenated = true;
                multi_line(w, em, max_record, offset)?;
            }
            Scan::Invalid { at, msg } => {
                em.error(
                    offset,
                    format!("invalid JSON at byte {at} of the record: {msg}"),
                    line,
                );
                if strict {
                    w.consume(after_line);
                } else {
                    resync(w)?;
                }
            }
        }
    }
}

/// A value alone on its line, with whitespace before its LF: `data[..end]`,
/// and the next line starts at `next`.
struct Line {
    end: usize,
    next: usize,
    ascii: bool,
}

/// The values at the start of `data` (stream offset `offset`, no leading
/// whitespace) that are each alone on their line, valid UTF-8, and end right
/// at their LF: how many bytes they take (LFs included) and how many there
/// are. Then the next value, when it is alone on its line but followed by
/// spaces, tabs or a CR (it is passed on without them).
#[inline]
fn line_run(
    data: &[u8],
    offset: u64,
    max_record: usize,
    specials: &mut Specials,
) -> (usize, u64, Option<Line>) {
    let mut taken = 0;
    let mut count = 0;
    loop {
        let rest = &data[taken..];
        // A line that starts with whitespace (or an empty one) is left to
        // the general path, which skips it.
        if rest.first().is_none_or(|&b| b <= b' ') {
            return (taken, count, None);
        }
        let (Scan::Complete { end, .. }, ascii) = scan_line(rest, offset + taken as u64, specials)
        else {
            return (taken, count, None);
        };
        if end > max_record {
            return (taken, count, None);
        }
        if rest.get(end) == Some(&b'\n') {
            if !ascii && std::str::from_utf8(&rest[..end]).is_err() {
                // Passed on alone, to be reported.
                let single = Line {
                    end,
                    next: end + 1,
                    ascii,
                };
                return (taken, count, Some(single));
            }
            taken += end + 1;
            count += 1;
            continue;
        }
        let mut after = end;
        while after < rest.len() && matches!(rest[after], b' ' | b'\t' | b'\r') {
            after += 1;
        }
        let single = (rest.get(after) == Some(&b'\n')).then_some(Line {
            end,
            next: after + 1,
            ascii,
        });
        return (taken, count, single);
    }
}

/// A value that continues past the end of its first line.
fn multi_line<R: Read>(
    w: &mut Window<R>,
    em: &mut Emitter<'_>,
    max_record: usize,
    offset: u64,
) -> Result<(), Stop> {
    loop {
        let data = w.data();
        match scan(data, w.is_eof()) {
            Scan::Complete { end, compact } => {
                if end > max_record {
                    em.error(offset, oversize_message(max_record), &data[..end]);
                    return resync(w);
                }
                em.json(offset, &data[..end], compact)?;
                w.consume(end);
                return Ok(());
            }
            Scan::Incomplete if data.len() > max_record => {
                em.error(offset, oversize_message(max_record), data);
                return resync(w);
            }
            Scan::Incomplete if w.is_eof() => {
                em.error(
                    offset,
                    "truncated JSON value at the end of the object".to_owned(),
                    data,
                );
                w.consume_all();
                return Ok(());
            }
            Scan::Incomplete => {
                w.fill()?;
            }
            Scan::Invalid { at, msg } => {
                let line_end = memchr(b'\n', &data[at..]).map_or(data.len(), |p| at + p);
                em.error(
                    offset,
                    format!("invalid JSON at byte {at} of the record: {msg}"),
                    &data[..line_end],
                );
                return resync(w);
            }
        }
    }
}

/// After a bad record that starts at the window's first byte: skips to the
/// next line that begins (in column 0) with a byte that can start a JSON
/// value. Indented lines and lines starting with `}`, `]` or `,` are taken to
/// belong to the bad record, so a broken pretty-printed value costs one error,
/// not one per line, and the next NDJSON line is never lost.
fn resync<R: Read>(w: &mut Window<R>) -> Result<(), Stop> {
    let mut at_line_start = false;
    loop {
        let data = w.data();
        if data.is_empty() {
            if !w.fill()? {
                return Ok(());
            }
            continue;
        }
        if at_line_start && is_value_start(data[0]) {
            return Ok(());
        }
        match memchr(b'\n', data) {
            Some(p) => {
                w.consume(p + 1);
                at_line_start = true;
            }
            None => {
                w.consume_all();
                at_line_start = false;
            }
        }
    }
}
