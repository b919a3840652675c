//! A single-pass JSON scanner: finds where one JSON value ends, validates its
//! grammar on the way, and tells whether it is already compact.
//!
//! It allocates nothing (nesting is a 128-level bit stack, the same depth
//! limit `serde_json` applies). String contents are searched for the bytes
//! that end or complicate them (`"`, `\\`, control bytes) with a bit mask of
//! 64 bytes at a time, made with SSE2 compares on x86-64 (the `safe_arch`
//! crate: `unsafe_code` stays forbidden here); the mask is kept, so the keys
//! and values of a compact record mostly resolve from one mask without a
//! loop. The same pass notes whether any string byte is non-ASCII: a record
//! with none is valid UTF-8 without a second pass, and only the others are
//! checked with `std::str::from_utf8`. Elsewhere the strings are searched
//! eight bytes at a time (SWAR) and UTF-8 is left to the caller.

/// Deepest nesting accepted (objects and arrays), as in `serde_json`.
pub(crate) const MAX_DEPTH: u32 = 128;

/// The outcome of scanning the bytes at the start of a buffer for one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// One complete value occupies `buf[..end]`; `compact` is false when it
    /// contains whitespace outside strings.
    Complete { end: usize, compact: bool },
    /// The buffer ends before the value does.
    Incomplete,
    /// The bytes are not JSON: the first offending byte is at `at`.
    Invalid { at: usize, msg: &'static str },
}

/// Why a string could not be scanned to its closing quote.
enum StrErr {
    Incomplete,
    Invalid(usize, &'static str),
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn is_ws(b: u8) -> bool {
    // A bit test rather than a `match`, which LLVM turns into a jump table
    // once the LF test of `scan_line` sits beside it.
    const WS: u64 = 1 << b' ' | 1 << b'\n' | 1 << b'\r' | 1 << b'\t';
    b <= b' ' && (WS >> b) & 1 != 0
}

/// Whether `b` can begin a JSON value.
#[inline]
pub(crate) fn is_value_start(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// Index of the first `"`, `\\` or control byte (< 0x20) at or after `i`,
/// or `buf.len()`: the bytes that end or complicate a JSON string.
#[inline(always)]
fn find_special(buf: &[u8], mut i: usize) -> usize {
    // Eight bytes at a time. The lowest flagged byte is exact (borrows only
    // travel upwards), which is all we need.
    while let Some(word) = buf.get(i..).and_then(|s| s.first_chunk::<8>()) {
        let w = u64::from_le_bytes(*word);
        let q = w ^ (LO * u64::from(b'"'));
        let bs = w ^ (LO * u64::from(b'\\'));
        let hit = (q.wrapping_sub(LO) & !q)
            | (bs.wrapping_sub(LO) & !bs)
            | (w.wrapping_sub(LO * 0x20) & !w);
        let hit = hit & HI;
        if hit != 0 {
            return i + (hit.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && buf[i] != b'"' && buf[i] != b'\\' && buf[i] >= 0x20 {
        i += 1;
    }
    i
}

/// Finds the special bytes of string contents (see [`find_special`]) from a
/// bit mask of 64 bytes that is kept between strings (and, through
/// [`scan_line`], between the values of one stream), and notes whether any
/// byte it looked at is non-ASCII. Positions are stream offsets (`origin`
/// plus the index in the buffer scanned), so a mask stays valid while the
/// window under it moves; positions asked for never decrease.
#[derive(Default)]
pub(crate) struct Specials {
    /// Stream offset of the buffer being scanned.
    origin: u64,
    /// The mask covers stream offsets `start..end` (at most 64 bytes: fewer
    /// when the buffer ended sooner).
    start: u64,
    end: u64,
    /// `end - start`.
    len: u64,
    mask: u64,
    /// Some byte under the current mask is ≥ 0x80.
    mask_high: bool,
    /// Some byte under a mask used for the current value is ≥ 0x80.
    high: bool,
}

impl Specials {
    /// Starts a value in a buffer that begins at stream offset `origin`.
    #[inline(always)]
    fn begin(&mut self, origin: u64) {
        self.origin = origin;
        // A mask kept from an earlier value may cover this one's bytes too.
        self.high = self.mask_high;
    }

    /// Index of the first special byte at or after `i` (≥ every earlier
    /// `i`), or `buf.len()`.
    #[inline(always)]
    fn find(&mut self, buf: &[u8], mut i: usize) -> usize {
        loop {
            let at = self.origin + i as u64;
            // `start <= at < end` in one comparison.
            let into = at.wrapping_sub(self.start);
            if into < self.len {
                let m = self.mask >> into;
                if m != 0 {
                    return i + m.trailing_zeros() as usize;
                }
                i = usize::try_from(self.end - self.origin).unwrap_or(usize::MAX);
            }
            if i >= buf.len() {
                return buf.len();
            }
            let (mask, high) = special_mask(buf, i);
            self.start = self.origin + i as u64;
            self.len = (buf.len() - i).min(64) as u64;
            self.end = self.start + self.len;
            self.mask = mask;
            self.mask_high = high;
            self.high |= high;
        }
    }

    /// Whether every byte looked at for the current value was ASCII (never
    /// claimed where masks are not made with SIMD).
    fn ascii(&self) -> bool {
        cfg!(all(target_arch = "x86_64", target_feature = "sse2")) && !self.high
    }
}

/// The special bytes of `buf[at..at + 64]` as a bit mask (bit k for
/// `buf[at + k]`; none past the buffer's end), and whether any of those
/// bytes is ≥ 0x80.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn special_mask(buf: &[u8], at: usize) -> (u64, bool) {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    #[inline(always)]
    fn masks(block: &[u8; 64]) -> (u64, bool) {
        let quote = set_splat_i8_m128i(b'"' as i8);
        let backslash = set_splat_i8_m128i(b'\\' as i8);
        let control = set_splat_i8_m128i(0x1f);
        let (chunks, _) = block.as_chunks::<16>();
        let mut mask = 0u64;
        let mut any = set_splat_i8_m128i(0);
        for (k, chunk) in chunks.iter().enumerate() {
            let v = load_unaligned_m128i(chunk);
            let special = bitor_m128i(
                bitor_m128i(
                    cmp_eq_mask_i8_m128i(v, quote),
                    cmp_eq_mask_i8_m128i(v, backslash),
                ),
                // v <= 0x1f (unsigned): min(v, 0x1f) == v.
                cmp_eq_mask_i8_m128i(min_u8_m128i(v, control), v),
            );
            mask |= u64::from(move_mask_i8_m128i(special) as u16) << (16 * k);
            any = bitor_m128i(any, v);
        }
        (mask, move_mask_i8_m128i(any) != 0)
    }
    let rest = buf.get(at..).unwrap_or_default();
    match rest.first_chunk::<64>() {
        Some(block) => masks(block),
        None => {
            let mut padded = [0u8; 64];
            padded[..rest.len()].copy_from_slice(rest);
            let (mask, high) = masks(&padded);
            (mask & ((1u64 << rest.len()) - 1), high)
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use self::special_mask_swar as special_mask;

/// Without SSE2: the mask from [`find_special`], eight bytes at a time
/// (non-ASCII bytes are not looked for: `true`).
#[cfg_attr(
    all(target_arch = "x86_64", target_feature = "sse2"),
    allow(dead_code, reason = "the fallback, tested against the SSE2 masks")
)]
#[inline(always)]
fn special_mask_swar(buf: &[u8], at: usize) -> (u64, bool) {
    let end = buf.len().min(at + 64);
    let mut mask = 0u64;
    let mut i = at;
    while i < end {
        i = find_special(&buf[..end], i);
        if i < end {
            mask |= 1 << (i - at);
            i += 1;
        }
    }
    (mask, true)
}

/// Index just past the closing quote of a string whose contents begin at `i`.
#[inline(always)]
fn scan_string(buf: &[u8], mut i: usize, specials: &mut Specials) -> Result<usize, StrErr> {
    let n = buf.len();
    loop {
        i = specials.find(buf, i);
        if i >= n {
            return Err(StrErr::Incomplete);
        }
        match buf[i] {
            b'"' => return Ok(i + 1),
            b'\\' => {
                let Some(&esc) = buf.get(i + 1) else {
                    return Err(StrErr::Incomplete);
                };
                match esc {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        for k in 0..4 {
                            match buf.get(i + 2 + k) {
                                None => return Err(StrErr::Incomplete),
                                Some(h) if h.is_ascii_hexdigit() => {}
                                Some(_) => {
                                    return Err(StrErr::Invalid(
                                        i + 2 + k,
                                        "invalid \\u escape in string",
                                    ));
                                }
                            }
                        }
                        i += 6;
                    }
                    _ => return Err(StrErr::Invalid(i + 1, "invalid escape in string")),
                }
            }
            _ => return Err(StrErr::Invalid(i, "control character in string")),
        }
    }
}

/// Scans one JSON value that starts at `buf[0]` (the caller has skipped any
/// leading whitespace). `eof` says that no bytes follow `buf`, which only
/// matters for a top-level number (`12` could continue as `123`).
pub(crate) fn scan(buf: &[u8], eof: bool) -> Scan {
    scan_with::<false>(buf, eof, &mut Specials::default())
}

/// Scans one JSON value that starts at `buf[0]` and must end before the
/// first LF (`buf` may run on past it): an LF outside a string makes the
/// value [`Scan::Incomplete`], one inside a string [`Scan::Invalid`], as if
/// `buf` had been cut at the LF, without a search for it first. Also says
/// whether the value is known to be ASCII (and so valid UTF-8).
/// `origin` is the stream offset of `buf`, for the masks kept in `specials`
/// from one value to the next.
#[inline]
pub(crate) fn scan_line(buf: &[u8], origin: u64, specials: &mut Specials) -> (Scan, bool) {
    specials.begin(origin);
    let scan = scan_with::<true>(buf, false, specials);
    (scan, specials.ascii())
}

#[inline(always)]
fn scan_with<const LINE: bool>(buf: &[u8], eof: bool, specials: &mut Specials) -> Scan {
    let n = buf.len();
    let mut i = 0usize;
    let mut compact = true;
    // Bit k of `stack` is set when the container at depth k+1 is an object.
    let mut stack: u128 = 0;
    let mut depth: u32 = 0;
    // Whether the innermost open container is an object (with `depth` > 0).
    let mut object = false;

    // Skips whitespace and evaluates to the byte at `i`. Compact JSON has
    // none, so one test of the byte (> b' ') decides the common case.
    macro_rules! skip_ws {
        () => {
            match buf.get(i) {
                Some(&b) if b > b' ' => b,
                _ => {
                    if i < n && is_ws(buf[i]) {
                        compact = false;
                        if LINE && buf[i] == b'\n' {
                            return Scan::Incomplete;
                        }
                        i += 1;
                        while i < n && is_ws(buf[i]) {
                            if LINE && buf[i] == b'\n' {
                                return Scan::Incomplete;
                            }
                            i += 1;
                        }
                    }
                    match buf.get(i) {
                        Some(&b) => b,
                        None => return Scan::Incomplete,
                    }
                }
            }
        };
    }
    macro_rules! string {
        ($start:expr) => {
            match scan_string(buf, $start, specials) {
                Ok(end) => i = end,
                Err(StrErr::Incomplete) => return Scan::Incomplete,
                Err(StrErr::Invalid(at, msg)) => return Scan::Invalid { at, msg },
            }
        };
    }
    // After `{` or `,` inside an object: a key and its colon.
    // (Compact JSON first: the quote and the colon right where expected.)
    macro_rules! key_colon {
        () => {
            if buf.get(i) != Some(&b'"') && skip_ws!() != b'"' {
                return Scan::Invalid {
                    at: i,
                    msg: "expected a string key",
                };
            }
            string!(i + 1);
            if buf.get(i) != Some(&b':') && skip_ws!() != b':' {
                return Scan::Invalid {
                    at: i,
                    msg: "expected ':' after an object key",
                };
            }
            i += 1;
        };
    }

    'value: loop {
        let b = skip_ws!();
        match b {
            b'"' => string!(i + 1),
            b'{' | b'[' => {
                let opens_object = b == b'{';
                let close = if opens_object { b'}' } else { b']' };
                if depth >= MAX_DEPTH {
                    return Scan::Invalid {
                        at: i,
                        msg: "nesting deeper than 128 levels",
                    };
                }
                i += 1;
                if skip_ws!() == close {
                    // An empty container is a finished value.
                    i += 1;
                } else {
                    if opens_object {
                        stack |= 1u128 << depth;
                    } else {
                        stack &= !(1u128 << depth);
                    }
                    depth += 1;
                    object = opens_object;
                    if opens_object {
                        key_colon!();
                    }
                    continue 'value;
                }
            }
            b't' => {
                i = match literal(buf, i, b"true") {
                    Ok(end) => end,
                    Err(scan) => return scan,
                }
            }
            b'f' => {
                i = match literal(buf, i, b"false") {
                    Ok(end) => end,
                    Err(scan) => return scan,
                }
            }
            b'n' => {
                i = match literal(buf, i, b"null") {
                    Ok(end) => end,
                    Err(scan) => return scan,
                }
            }
            b'-' | b'0'..=b'9' => match number(buf, i) {
                Ok(end) if end < n || (eof && depth == 0) => i = end,
                Ok(_) => return Scan::Incomplete,
                Err(scan) => return scan,
            },
            _ => {
                return Scan::Invalid {
                    at: i,
                    msg: "expected a JSON value",
                };
            }
        }
        // A value just ended: close containers or move on to the next member.
        loop {
            if depth == 0 {
                return Scan::Complete { end: i, compact };
            }
            let b = match buf.get(i) {
                Some(&b',') => b',',
                _ => skip_ws!(),
            };
            match (b, object) {
                (b',', true) => {
                    i += 1;
                    key_colon!();
                    continue 'value;
                }
                (b',', false) => {
                    i += 1;
                    continue 'value;
                }
                (b'}', true) | (b']', false) => {
                    i += 1;
                    depth -= 1;
                    object = depth > 0 && (stack >> (depth - 1)) & 1 != 0;
                }
                (_, true) => {
                    return Scan::Invalid {
                        at: i,
                        msg: "expected ',' or '}' in an object",
                    };
                }
                (_, false) => {
                    return Scan::Invalid {
                        at: i,
                        msg: "expected ',' or ']' in an array",
                    };
                }
            }
        }
    }
}

#[inline]
fn literal(buf: &[u8], i: usize, word: &'static [u8]) -> Result<usize, Scan> {
    let rest = &buf[i..];
    if rest.starts_with(word) {
        Ok(i + word.len())
    } else if word.starts_with(rest) {
        Err(Scan::Incomplete)
    } else {
        Err(Scan::Invalid {
            at: i,
            msg: "invalid literal",
        })
    }
}

/// Index of the first byte at or after `i` that is not an ASCII digit, or
/// `buf.len()`; eight bytes at a time, so a run of digits costs no loop.
#[inline(always)]
fn digits(buf: &[u8], mut i: usize) -> usize {
    while let Some(word) = buf.get(i..).and_then(|s| s.first_chunk::<8>()) {
        // A byte is a digit when (b ^ '0') < 10. `(t & 0x7f) + 0x76` sets a
        // byte's high bit when its low seven bits are ≥ 10, with no carry
        // into the next byte; `| t` adds the bytes ≥ 0x80.
        let t = u64::from_le_bytes(*word) ^ (LO * u64::from(b'0'));
        let other = ((t & !HI).wrapping_add(LO * (0x80 - 10)) | t) & HI;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && buf[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Index just past a number starting at `i`; `Ok(buf.len())` when the buffer
/// ends on a digit (the caller decides whether more digits could follow).
#[inline(always)]
fn number(buf: &[u8], mut i: usize) -> Result<usize, Scan> {
    let n = buf.len();
    let digits = |i: usize| digits(buf, i);
    let need_digit = |i: usize| -> Result<(), Scan> {
        match buf.get(i) {
            None => Err(Scan::Incomplete),
            Some(b) if b.is_ascii_digit() => Ok(()),
            Some(_) => Err(Scan::Invalid {
                at: i,
                msg: "invalid number",
            }),
        }
    };
    if buf[i] == b'-' {
        i += 1;
    }
    need_digit(i)?;
    if buf[i] == b'0' {
        i += 1;
    } else {
        i = digits(i);
    }
    if i < n && buf[i] == b'.' {
        i += 1;
        need_digit(i)?;
        i = digits(i);
    }
    if i < n && (buf[i] == b'e' || buf[i] == b'E') {
        i += 1;
        if i < n && (buf[i] == b'+' || buf[i] == b'-') {
            i += 1;
        }
        need_digit(i)?;
        i = digits(i);
    }
    Ok(i)
}

/// Appends `value` (valid JSON) to `out` without whitespace outside strings.
pub(crate) fn compact_into(value: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    let n = value.len();
    while i < n {
        let b = value[i];
        if is_ws(b) {
            i += 1;
            continue;
        }
        if b != b'"' {
            out.push(b);
            i += 1;
            continue;
        }
        // Copy a whole string, escapes included.
        let mut j = i + 1;
        while j < n {
            match memchr::memchr2(b'"', b'\\', &value[j..]) {
                Some(k) if value[j + k] == b'\\' => j += k + 2,
                Some(k) => {
                    j += k + 1;
                    break;
                }
                None => j = n,
            }
        }
        let j = j.min(n);
        out.extend_from_slice(&value[i..j]);
        i = j;
    }
}

/// Appends `text` to `out` as the inside of a JSON string (no quotes).
pub(crate) fn escape_into(text: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut from = 0;
    loop {
        let i = find_special(text, from);
        out.extend_from_slice(&text[from..i]);
        let Some(&b) = text.get(i) else {
            return;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        from = i + 1;
    }
}

#[cfg(test)]
mod tests;
