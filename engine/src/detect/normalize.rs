// SPDX-License-Identifier: Apache-2.0
//! Text normalization for detection, with a map back to the original.
//!
//! Evasion tricks (zero-width characters inside a key, full-width digits,
//! Cyrillic look-alikes, literal `\uXXXX` escapes) change the bytes but not
//! what a reader sees. Detectors run on a normalized copy so one pattern
//! catches every spelling; each hit is mapped back to the ORIGINAL byte range
//! so a mask removes exactly the characters that were sent.
//!
//! The original is cut into *units*: one char, or one `\uXXXX` escape (two
//! for a surrogate pair). Each unit becomes zero or more normalized chars:
//! 1. a `\uXXXX` escape is decoded to its char;
//! 2. invisible chars (zero-width, bidi controls, tags, variation selectors,
//!    soft hyphen) are dropped;
//! 3. the char is NFKC-normalized on its own (full-width, ligatures,
//!    superscripts, math letters → their plain forms);
//! 4. typographic dashes and the minus sign become `-`;
//! 5. inside a run that also holds ASCII letters or digits, Cyrillic and
//!    Greek look-alikes become their Latin twins (see [`fold_homoglyph`]);
//! 6. a `%XX` escape (or a `%XX%XX…` UTF-8 sequence) of a visible char is
//!    decoded, so a percent-encoded email or key reads as itself;
//! 7. only in the second view [`Normalized::joining_wrapped_lines`]: a line
//!    break inside a long token wrapped over several lines (see
//!    [`is_wrapped_break`]) is dropped, so the key reads as one token. It is
//!    a separate view because joining can also glue two listed keys into
//!
//! The map is a list of [`Segment`]s instead of one entry per byte: a run of
//! unchanged chars is ONE verbatim segment, and only changed units cost an
//! entry, so plain Russian or emoji-heavy text stays cheap to map.

use crate::swar;
use std::borrow::Cow;
use std::iter::once;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The text detectors see, and how its byte offsets map to the original.
pub(crate) struct Normalized<'a> {
    original: &'a str,
    text: Cow<'a, str>,
    /// `None` when `text` is `original` (the identity map).
    segments: Option<Vec<Segment>>,
}

/// A stretch of the normalized text and the original bytes it came from.
/// Segments tile the normalized text in order; segment `i` ends where
/// segment `i + 1` starts (the last one at the end of the text).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    /// Byte offset of the segment in the normalized text.
    norm_start: usize,
    /// Original byte range of the segment.
    orig_start: usize,
    orig_end: usize,
    /// A verbatim copy: normalized byte `norm_start + k` is original byte
    /// `orig_start + k`. Otherwise the segment is ONE unit and each of its
    /// bytes stands for the whole original range.
    verbatim: bool,
}

/// True when `bytes` holds a `%` or a `\u`: one `memchr2` pass (SIMD in
/// wasm too), where a substring search for `\u` ran a byte at a time.
fn has_escape_or_percent(bytes: &[u8]) -> bool {
    memchr::memchr2_iter(b'\\', b'%', bytes)
        .any(|at| bytes.get(at) == Some(&b'%') || bytes.get(at + 1) == Some(&b'u'))
}

impl<'a> Normalized<'a> {
    /// Normalizes `original` for detection. ASCII text without `\u` or `%`
    /// is returned as is, without allocating.
    pub(crate) fn new(original: &'a str) -> Self {
        if original.is_ascii() && !has_escape_or_percent(original.as_bytes()) {
            return Self::identity(original);
        }
        Self::normalize(original, false)
    }

    /// The view with wrapped lines joined (step 7 of the module docs), or
    /// `None` when `original` has no wrapped line.
    pub(crate) fn joining_wrapped_lines(original: &'a str) -> Option<Self> {
        has_wrapped_break(original).then(|| Self::normalize(original, true))
    }

    fn normalize(original: &'a str, join: bool) -> Self {
        let first = build(original, None, join);
        let built = if first.runs.iter().any(RunTraits::folds) {
            build(original, Some(&first.runs), join)
        } else {
            first
        };
        if is_identity(original, &built.segments) {
            return Self::identity(original);
        }
        Normalized {
            original,
            text: Cow::Owned(built.text),
            segments: Some(built.segments),
        }
    }

    fn identity(original: &'a str) -> Self {
        Normalized {
            original,
            text: Cow::Borrowed(original),
            segments: None,
        }
    }

    /// The normalized text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The text this view was normalized from.
    pub(crate) fn original(&self) -> &'a str {
        self.original
    }

    /// The smallest byte range of the original text that covers the byte
    /// range `start..end` of the normalized text: from the start of the unit
    /// holding `start` to the end of the unit holding `end - 1`, so invisible
    /// chars dropped INSIDE the range are covered too. Out-of-range offsets
    /// are clamped; the result always lies on char boundaries of the
    /// original. An empty range maps to an empty range.
    pub(crate) fn original_range(&self, start: usize, end: usize) -> (usize, usize) {
        let len = self.text.len();
        let end = end.min(len);
        let start = start.min(end);
        if start == end {
            let at = if start >= len {
                self.original.len()
            } else {
                self.unit_start(start)
            };
            return (at, at);
        }
        (self.unit_start(start), self.unit_end(end - 1))
    }

    /// Original start of the unit holding normalized byte `pos` (< len).
    fn unit_start(&self, pos: usize) -> usize {
        let Some(segments) = &self.segments else {
            return floor_char_boundary(self.original, pos);
        };
        match segment_at(segments, pos) {
            Some(seg) if seg.verbatim => floor_char_boundary(self.original, seg.orig_byte(pos)),
            Some(seg) => seg.orig_start,
            None => self.original.len(),
        }
    }

    /// Original end of the unit holding normalized byte `pos` (< len).
    fn unit_end(&self, pos: usize) -> usize {
        let Some(segments) = &self.segments else {
            return end_of_char_at(self.original, pos);
        };
        match segment_at(segments, pos) {
            Some(seg) if seg.verbatim => end_of_char_at(self.original, seg.orig_byte(pos)),
            Some(seg) => seg.orig_end,
            None => self.original.len(),
        }
    }
}

impl Segment {
    /// The original byte a normalized byte of a verbatim segment copies.
    fn orig_byte(&self, pos: usize) -> usize {
        (self.orig_start + pos.saturating_sub(self.norm_start)).min(self.orig_end)
    }
}

/// The segment holding normalized byte `pos`.
fn segment_at(segments: &[Segment], pos: usize) -> Option<&Segment> {
    let after = segments.partition_point(|s| s.norm_start <= pos);
    after.checked_sub(1).and_then(|i| segments.get(i))
}

/// The largest char boundary of `s` at or before `i`.
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One past the char of `s` that holds byte `i`.
fn end_of_char_at(s: &str, i: usize) -> usize {
    let start = floor_char_boundary(s, i);
    s.get(start..)
        .and_then(|rest| rest.chars().next())
        .map_or(start, |c| start + c.len_utf8())
}

/// True when the segments describe an unchanged copy of `original`.
fn is_identity(original: &str, segments: &[Segment]) -> bool {
    match segments {
        [] => original.is_empty(),
        [only] => only.verbatim && only.orig_start == 0 && only.orig_end == original.len(),
        _ => false,
    }
}

/// Output of one normalization pass.
struct Built {
    text: String,
    segments: Vec<Segment>,
    /// What each run (see [`Runs`]) holds, in order.
    runs: Vec<RunTraits>,
}

/// What a run of non-delimiter chars holds; decides homoglyph folding.
#[derive(Debug, Clone, Copy, Default)]
struct RunTraits {
    has_ascii_alnum: bool,
    has_homoglyph: bool,
}

impl RunTraits {
    /// Folding a run only makes sense when it mixes scripts: a plain
    /// Russian word (`паспорт`) must stay intact for context words.
    fn folds(&self) -> bool {
        self.has_ascii_alnum && self.has_homoglyph
    }
}

/// Splits the normalized chars into runs: maximal stretches of letters,
/// digits, combining marks and the joiners `-`, `_`, `.` that hold keys, ids
/// and host names together; anything else (spaces, other punctuation) ends a
/// run. Dropped invisible chars do not end a run.
#[derive(Default)]
struct Runs {
    in_run: bool,
    index: usize,
}

impl Runs {
    /// The index of the run `c` belongs to; `None` for a delimiter.
    fn place(&mut self, c: char) -> Option<usize> {
        let joins = c.is_alphanumeric() || matches!(c, '-' | '_' | '.') || is_combining_mark(c);
        if joins {
            Some(self.join())
        } else {
            self.end_run();
            None
        }
    }

    /// The index of the run a joiner char belongs to (a new run after a
    /// delimiter).
    fn join(&mut self) -> usize {
        self.in_run = true;
        self.index
    }

    /// A delimiter: the current run, if any, is over.
    fn end_run(&mut self) {
        if self.in_run {
            self.in_run = false;
            self.index += 1;
        }
    }
}

/// An ASCII char that joins a run (see [`Runs`]).
fn is_ascii_joiner(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// One normalization pass. `fold` holds the run traits from a previous pass
/// when some run needs homoglyph folding; the first pass collects them.
fn build(original: &str, fold: Option<&[RunTraits]>, join: bool) -> Built {
    let mut builder = Builder {
        original,
        fold,
        text: String::with_capacity(original.len()),
        segments: Vec::new(),
        runs: Vec::new(),
        placer: Runs::default(),
    };
    for_each_unit(original, join, &mut builder);
    Built {
        text: builder.text,
        segments: builder.segments,
        runs: builder.runs,
    }
}

/// The state of one pass, fed unit by unit (or plain-ASCII stretch by
/// stretch) by [`for_each_unit`].
struct Builder<'a, 'f> {
    original: &'a str,
    fold: Option<&'f [RunTraits]>,
    text: String,
    segments: Vec<Segment>,
    runs: Vec<RunTraits>,
    placer: Runs,
}

impl Builder<'_, '_> {
    /// One unit: `original[orig_start..orig_end]` normalized to `normalized`
    /// (empty when dropped).
    fn unit(&mut self, orig_start: usize, orig_end: usize, normalized: &str) {
        let norm_start = self.text.len();
        for c in normalized.chars() {
            let mut c = c;
            if let Some(run) = self.placer.place(c) {
                if self.runs.len() <= run {
                    self.runs.push(RunTraits::default());
                }
                if let Some(traits) = self.runs.last_mut() {
                    traits.has_ascii_alnum |= c.is_ascii_alphanumeric();
                    traits.has_homoglyph |= fold_homoglyph(c).is_some();
                }
                let folds = self
                    .fold
                    .and_then(|f| f.get(run))
                    .is_some_and(RunTraits::folds);
                if folds {
                    c = fold_homoglyph(c).unwrap_or(c);
                }
            }
            self.text.push(c);
        }
        if self.text.len() == norm_start {
            return; // dropped: covered by any range that spans it
        }
        let verbatim = self.text.get(norm_start..) == self.original.get(orig_start..orig_end);
        self.segment(norm_start, orig_start, orig_end, verbatim);
    }

    /// A stretch of ASCII without `\`: every char is its own unit and stays
    /// as it is (ASCII is never invisible, never changed by NFKC, never a
    /// look-alike), so this is [`Builder::unit`] for each char, done in bulk.
    ///
    /// Only the runs at the stretch's two edges can hold a look-alike (the
    /// chars around the stretch are not ASCII), so only those are placed;
    /// the runs wholly inside are never asked about and are not numbered.
    /// Both passes number runs the same way, so their indices still agree.
    fn plain_ascii(&mut self, orig_start: usize, orig_end: usize) {
        let Some(stretch) = self.original.get(orig_start..orig_end) else {
            return;
        };
        if stretch.is_empty() {
            return;
        }
        let bytes = stretch.as_bytes();
        let delimiter = |b: &u8| !is_ascii_joiner(*b);
        let lead = bytes.iter().position(delimiter).unwrap_or(bytes.len());
        self.place_ascii_run(bytes.get(..lead).unwrap_or_default());
        if lead < bytes.len() {
            self.placer.end_run();
            let tail = bytes.iter().rev().position(delimiter).unwrap_or(0);
            self.place_ascii_run(bytes.get(bytes.len() - tail..).unwrap_or_default());
        }
        let norm_start = self.text.len();
        self.text.push_str(stretch);
        self.segment(norm_start, orig_start, orig_end, true);
    }

    /// Places `run`, ASCII joiner bytes only, in the current run (a new one
    /// when the last char was a delimiter); nothing for an empty `run`.
    fn place_ascii_run(&mut self, run: &[u8]) {
        if run.is_empty() {
            return;
        }
        let index = self.placer.join();
        if self.runs.len() <= index {
            self.runs.push(RunTraits::default());
        }
        if run.iter().any(u8::is_ascii_alphanumeric)
            && let Some(traits) = self.runs.last_mut()
        {
            traits.has_ascii_alnum = true;
        }
    }

    /// Records where normalized bytes from `norm_start` came from, merging
    /// adjacent verbatim copies into one segment.
    fn segment(&mut self, norm_start: usize, orig_start: usize, orig_end: usize, verbatim: bool) {
        if verbatim
            && let Some(last) = self.segments.last_mut()
            && last.verbatim
            && last.orig_end == orig_start
        {
            last.orig_end = orig_end;
            return;
        }
        self.segments.push(Segment {
            norm_start,
            orig_start,
            orig_end,
            verbatim,
        });
    }
}

/// Feeds every unit of `original` to `builder`, in order; stretches of
/// plain ASCII go in one call each. `join` drops the line breaks of wrapped
/// tokens.
fn for_each_unit(original: &str, join: bool, builder: &mut Builder<'_, '_>) {
    let bytes = original.as_bytes();
    // Non-ASCII bytes (high bit set), escapes and, when joining, breaks
    // (tested only then: two of four compares a word).
    let special = |w: u64| {
        let marks = w | swar::eq(w, b'\\') | swar::eq(w, b'%');
        if join {
            marks | swar::eq(w, b'\n') | swar::eq(w, b'\r')
        } else {
            marks
        }
    };
    let mut buf = String::new();
    let mut i = 0;
    while let Some(rest) = original.get(i..) {
        let plain = swar::find(bytes, i, special).map_or(rest.len(), |at| at - i);
        if plain > 0 {
            builder.plain_ascii(i, i + plain);
            i += plain;
            continue;
        }
        let Some(c) = rest.chars().next() else {
            break;
        };
        let escaped = match c {
            '\\' => decode_escape(rest),
            '%' => decode_percent(rest),
            _ => None,
        };
        if let Some((decoded, len)) = escaped {
            buf.clear();
            normalize_char(decoded, &mut buf);
            builder.unit(i, i + len, &buf);
            i += len;
            continue;
        }
        if join && (c == '\n' || c == '\r') && is_wrapped_break(original, i) {
            let len = if rest.starts_with("\r\n") { 2 } else { 1 };
            builder.unit(i, i + len, "");
            i += len;
            continue;
        }
        let len = c.len_utf8();
        if c.is_ascii() {
            builder.unit(i, i + len, rest.get(..len).unwrap_or(""));
        } else {
            buf.clear();
            normalize_char(c, &mut buf);
            builder.unit(i, i + len, &buf);
        }
        i += len;
    }
}

/// Decodes a percent-encoded char at the start of `s`: one `%XX` of a
/// visible ASCII char, or the `%XX` bytes of one multi-byte UTF-8 char.
/// Spaces and controls stay encoded (decoding them would split tokens, not
/// reveal them); anything malformed is left alone.
fn decode_percent(s: &str) -> Option<(char, usize)> {
    let byte_at = |k: usize| -> Option<u8> {
        let hex = s.get(k * 3..k * 3 + 3)?.strip_prefix('%')?;
        u8::from_str_radix(hex, 16).ok()
    };
    let first = byte_at(0)?;
    let width = match first {
        0x21..=0x7E => return Some((char::from(first), 3)),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let mut bytes = [0u8; 4];
    for (k, slot) in bytes.iter_mut().enumerate().take(width) {
        *slot = byte_at(k)?;
    }
    let c = std::str::from_utf8(bytes.get(..width)?)
        .ok()?
        .chars()
        .next()?;
    Some((c, width * 3))
}

/// Whether any line break of `s` is a wrapped-token break.
fn has_wrapped_break(s: &str) -> bool {
    memchr::memchr2_iter(b'\n', b'\r', s.as_bytes()).any(|i| is_wrapped_break(s, i))
}

/// Shortest line on both sides of a break for it to count as wrapping.
const WRAPPED_LINE_MIN: usize = 16;

/// Whether the line break at byte `at` of `s` sits inside a wrapped token:
/// at least [`WRAPPED_LINE_MIN`] chars of key/base64 alphabet right before
/// it, and the next line is one such token of that length (a wrapped key's
/// continuation is a whole line; prose continues with words and spaces).
///
/// The token alphabet is ASCII, so both tests read bytes: a non-ASCII byte
/// is no token byte, as its char is no token char.
fn is_wrapped_break(s: &str, at: usize) -> bool {
    let token = |b: &u8| is_token_byte(*b);
    let bytes = s.as_bytes();
    // The cheap, bounded look back first, from the break: most breaks end
    // prose or code, a few bytes back.
    let long_before = at
        .checked_sub(WRAPPED_LINE_MIN)
        .and_then(|from| bytes.get(from..at))
        .is_some_and(|before| before.iter().rev().all(token));
    if !long_before {
        return false;
    }
    let after = bytes.get(at..).unwrap_or_default();
    let after = after
        .strip_prefix(b"\r\n")
        .unwrap_or_else(|| after.get(1..).unwrap_or_default());
    // The next line is all token bytes up to its break or the end.
    let line = after.iter().position(|b| !token(b)).unwrap_or(after.len());
    line >= WRAPPED_LINE_MIN && matches!(after.get(line), None | Some(b'\n' | b'\r'))
}

/// A byte of a wrapped token: key and base64 alphabets (a table: wasm
/// called a function per byte for the range tests).
fn is_token_byte(b: u8) -> bool {
    const TOKEN: [bool; 256] = swar::byte_table!(b => b.is_ascii_alphanumeric()
        || matches!(b, b'-' | b'_' | b'+' | b'/' | b'=' | b'.'));
    TOKEN[usize::from(b)]
}

/// Decodes a literal `\uXXXX` escape (or a `\uD8xx\uDCxx` surrogate pair)
/// at the start of `s`: the char and the escape's length in bytes. Lone
/// surrogates and malformed escapes are left alone.
fn decode_escape(s: &str) -> Option<(char, usize)> {
    let unit = escaped_code_unit(s)?;
    match unit {
        0xD800..=0xDBFF => {
            let low = escaped_code_unit(s.get(6..)?)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
            char::from_u32(code).map(|c| (c, 12))
        }
        0xDC00..=0xDFFF => None,
        _ => char::from_u32(unit).map(|c| (c, 6)),
    }
}

/// The code unit of a `\uXXXX` at the start of `s`.
fn escaped_code_unit(s: &str) -> Option<u32> {
    let hex = s.strip_prefix("\\u")?.get(..4)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Appends the normalized form of one char (steps 2–4 of the module docs).
fn normalize_char(c: char, out: &mut String) {
    if is_invisible(c) {
        return;
    }
    if c.is_ascii() || is_nfkc_quick(once(c)) == IsNormalized::Yes {
        out.push(fold_dash(c));
        return;
    }
    for d in once(c).nfkc() {
        if !is_invisible(d) {
            out.push(fold_dash(d));
        }
    }
}

/// Chars that render as nothing (or only steer rendering) and are used to
/// split a value so that a pattern no longer matches.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                  // soft hyphen
        | '\u{034F}'                // combining grapheme joiner
        | '\u{061C}'                // Arabic letter mark (bidi)
        | '\u{115F}' | '\u{1160}'   // Hangul fillers
        | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}'   // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
        | '\u{2066}'..='\u{2069}'   // bidi isolates
        | '\u{3164}' | '\u{FFA0}'   // Hangul fillers
        | '\u{FE00}'..='\u{FE0F}'   // variation selectors
        | '\u{FEFF}'                // zero-width no-break space (BOM)
        | '\u{E0000}'..='\u{E007F}' // tag characters
        | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
    )
}

/// Typographic dashes and minus signs NFKC leaves alone, as `-`.
fn fold_dash(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2043}' | '\u{02D7}' | '\u{FE58}' => '-',
        other => other,
    }
}

/// The Latin letter a Cyrillic, Greek or IPA look-alike stands for.
pub(crate) fn fold_homoglyph(c: char) -> Option<char> {
    let latin = match c {
        // Cyrillic lower case
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'к' => 'k',
        'ѕ' => 's',
        'і' => 'i',
        'ј' => 'j',
        'ԁ' => 'd',
        'һ' => 'h',
        'ӏ' => 'l',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ү' => 'y',
        // Cyrillic upper case
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'У' => 'Y',
        'Х' => 'X',
        'Ѕ' => 'S',
        'І' => 'I',
        'Ј' => 'J',
        'Ԁ' => 'D',
        'Һ' => 'H',
        'Ӏ' => 'I',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        'Ү' => 'Y',
        // Greek lower case
        'α' => 'a',
        'ο' => 'o',
        'ν' => 'v',
        'ι' => 'i',
        'κ' => 'k',
        'ρ' => 'p',
        'υ' => 'u',
        'χ' => 'x',
        'ϲ' => 'c',
        'ϳ' => 'j',
        // Greek upper case
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        'Ϲ' => 'C',
        // Latin letters from IPA and elsewhere
        'ɡ' => 'g',
        'ɑ' => 'a',
        'ı' => 'i',
        'ȷ' => 'j',
        _ => return None,
    };
    Some(latin)
}

/// `s` with every look-alike folded, whatever its run holds: the spelling a
/// configured word takes when it sits in a mixed-script run.
pub(crate) fn fold_all_homoglyphs(s: &str) -> String {
    s.chars().map(|c| fold_homoglyph(c).unwrap_or(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> String {
        Normalized::new(s).text().to_string()
    }

    /// The original slice a normalized match maps back to.
    fn back<'a>(original: &'a str, needle: &str) -> &'a str {
        let n = Normalized::new(original);
        let start = n.text().find(needle).unwrap();
        let (s, e) = n.original_range(start, start + needle.len());
        &original[s..e]
    }

    #[test]
    fn ascii_is_borrowed_unchanged() {
        let n = Normalized::new("sk-proj-abc 4111");
        assert!(matches!(n.text, Cow::Borrowed(_)));
        assert!(n.segments.is_none());
        assert_eq!(n.original_range(3, 7), (3, 7));
        assert_eq!(n.original_range(9, 100), (9, 16));
        assert_eq!(n.original_range(50, 60), (16, 16));
    }

    #[test]
    fn unchanged_unicode_is_borrowed_too() {
        for s in ["паспорт 4510 123456", "emoji 😀 ok", r"C:\users\x"] {
            let n = Normalized::new(s);
            assert!(matches!(n.text, Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn invisible_chars_are_dropped() {
        let cases = [
            ("sk\u{200B}-proj", "sk-proj"),
            ("a\u{200C}b\u{200D}c\u{2060}d\u{FEFF}e", "abcde"),
            ("pass\u{00AD}word", "password"),
            ("x\u{202E}y\u{2066}z\u{2069}", "xyz"),
            ("t\u{E0041}\u{E007F}ag", "tag"),
            ("v\u{FE0F}s\u{E0100}", "vs"),
            ("m\u{180E}n", "mn"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input:?}");
        }
    }

    #[test]
    fn compatibility_forms_become_ascii() {
        let cases = [
            ("ｓｋ－ｐｒｏｊ", "sk-proj"),
            ("４１１１", "4111"),
            ("ﬁle", "file"),
            ("x²", "x2"),
            ("𝐀𝐊𝐈𝐀", "AKIA"),
            ("a\u{00A0}b", "a b"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input:?}");
        }
    }

    #[test]
    fn dashes_become_hyphen_minus() {
        assert_eq!(
            norm("a\u{2010}b\u{2011}c\u{2013}d\u{2014}e\u{2212}f"),
            "a-b-c-d-e-f"
        );
    }

    #[test]
    fn homoglyphs_fold_only_in_mixed_runs() {
        let cases = [
            ("ѕk-proj-abc", "sk-proj-abc"),
            ("АKIA0000", "AKIA0000"),
            ("ѕк-proj", "sk-proj"), // the whole key is one run through `-`
            ("gіt.internal.corp", "git.internal.corp"),
            ("паспорт 4510", "паспорт 4510"),
            ("телефон: +7 999", "телефон: +7 999"),
            ("паспорт:AB12", "паспорт:AB12"),
            ("Ρуthon", "Python"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input:?}");
        }
    }

    #[test]
    fn json_escapes_are_decoded() {
        let cases = [
            (r"\u0073k-proj", "sk-proj"),
            (r"\u0045MP-1", "EMP-1"),
            (r"x\uD83D\uDE00y", "x😀y"),
            (r"\uFF53", "s"),         // decoded, then NFKC
            (r"a\u200Bb", "ab"),      // decoded, then dropped
            (r"\uD83Dx", r"\uD83Dx"), // lone surrogate stays
            (r"\uDE00", r"\uDE00"),
            (r"\u12G4", r"\u12G4"),
            (r"\u+123", r"\u+123"),
            (r"\u00", r"\u00"),
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input:?}");
        }
    }

    #[test]
    fn matches_map_back_to_the_original_chars() {
        assert_eq!(
            back("key: sk\u{200B}-proj end", "sk-proj"),
            "sk\u{200B}-proj"
        );
        assert_eq!(back("№ ｓｋ－ｐｒｏｊ!", "sk-proj"), "ｓｋ－ｐｒｏｊ");
        assert_eq!(back(r"v=\u0073k-proj;", "sk-proj"), r"\u0073k-proj");
        assert_eq!(back("паспорт ѕk-1 да", "sk-1"), "ѕk-1");
        assert_eq!(back(r"\uD83D\uDE00 ok", "😀"), r"\uD83D\uDE00");
        // a ligature is one unit: half of it maps to all of it
        assert_eq!(back("a ﬁx", "f"), "ﬁ");
        assert_eq!(back("a ﬁx", "ix"), "ﬁx");
        // invisible chars at the edges are not part of the value
        assert_eq!(back("\u{200B}ab\u{200B}", "ab"), "ab");
    }

    #[test]
    fn offsets_are_clamped() {
        let n = Normalized::new("ѕk\u{200B}x");
        assert_eq!(n.text(), "skx");
        assert_eq!(n.original_range(0, 3), (0, "ѕk\u{200B}x".len()));
        assert_eq!(n.original_range(2, 99), (6, 7));
        assert_eq!(n.original_range(99, 1), (2, 2));
        let empty = Normalized::new("\u{200B}\u{200B}");
        assert_eq!(empty.text(), "");
        assert_eq!(empty.original_range(0, 5), (6, 6));
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 .:/_-]{1,4}",
            Just("\u{200B}".to_string()),
            Just("\u{FEFF}".to_string()),
            Just("\u{E0041}".to_string()),
            Just("\u{00AD}".to_string()),
            "[ａ-ｚ０-９－]{1,3}",
            "[а-яА-ЯѕіјԁΑ-Ωα-ω]{1,3}",
            "\\\\u00[0-9a-fA-F]{2}",
            Just(r"\uD83D\uDE00".to_string()),
            Just(r"\uD83D".to_string()),
            Just("\\u".to_string()),
            Just("ﬁ😀é\u{0301}²—".to_string()),
        ]
    }

    proptest! {
        /// Homoglyphs fold exactly in the runs that mix them with ASCII
        /// letters or digits, however ASCII stretches and runs interleave:
        /// an oracle that splits the text into runs char by char.
        #[test]
        fn homoglyphs_fold_exactly_in_mixed_runs(parts in prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9]{1,4}",
                "[ .,:/_-]{1,2}",
                "[аеорсхѕіјАВЕКМНОРСТХΑΒΕΖΗΡΤ]{1,2}",
                "[б-дж-нэюя]{1,3}",
            ],
            0..24,
        )) {
            let original: String = parts.concat();
            let joins = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
            let mut want = String::new();
            let mut run = String::new();
            let flush = |run: &mut String, want: &mut String| {
                let mixed = run.chars().any(|c| c.is_ascii_alphanumeric())
                    && run.chars().any(|c| fold_homoglyph(c).is_some());
                want.extend(run.chars().map(|c| if mixed { fold_homoglyph(c).unwrap_or(c) } else { c }));
                run.clear();
            };
            for c in original.chars() {
                if joins(c) {
                    run.push(c);
                } else {
                    flush(&mut run, &mut want);
                    want.push(c);
                }
            }
            flush(&mut run, &mut want);
            prop_assert_eq!(norm(&original), want);
        }
    }

    #[test]
    fn percent_escapes_of_visible_chars_are_decoded() {
        let cases = [
            ("ada%40example.org", "ada@example.org"),
            ("%73%6B%2D", "sk-"),
            ("caf%C3%A9", "café"),
            ("a%E2%80%8Bb", "ab"), // an encoded zero-width space is dropped
            ("100%25 sure", "100% sure"),
            ("a%20b", "a%20b"),       // spaces stay encoded
            ("%zz %4 %", "%zz %4 %"), // malformed: untouched
            ("%C3%28", "%C3("),       // invalid UTF-8: that byte untouched
        ];
        for (input, want) in cases {
            assert_eq!(norm(input), want, "{input}");
        }
        let n = Normalized::new("mail ada%40example.org");
        let at = n.text().find('@').unwrap();
        assert_eq!(n.original_range(at, at + 1), (8, 11));
    }

    #[test]
    fn breaks_inside_wrapped_tokens_are_dropped() {
        let joined = |s: &str| Normalized::joining_wrapped_lines(s).map(|n| n.text().to_string());
        let key = "sk-proj-AbCdEfGh\nIjKlMnOpQrStUvWxYz\r\n0123456789abcdef";
        assert_eq!(
            joined(key).as_deref(),
            Some("sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef")
        );
        // the first view keeps the breaks
        assert_eq!(norm(key), key);
        // prose keeps its line breaks: the lines end in short words
        for prose in [
            "Hello there\nHow are you",
            "see https://example.org/a\nthanks",
            "aaaaaaaaaaaaaaaa\nshort",
            "short\nbbbbbbbbbbbbbbbbbbbb",
            "aaaaaaaaaaaaaaaa.\n\nbbbbbbbbbbbbbbbbbbbb",
            "id = AKIAQ7XK2M9PLV4RTN3W\nsecret_access_key = abc",
        ] {
            assert_eq!(joined(prose), None, "{prose:?}");
        }
        let n = Normalized::joining_wrapped_lines(key).unwrap();
        let joined = n.text().find("GhIj").unwrap() + 2;
        assert_eq!(n.original_range(joined - 1, joined + 1), (15, 18));
    }

    /// The char-by-char reading of [`is_wrapped_break`]: the reference.
    fn is_wrapped_break_by_chars(s: &str, at: usize) -> bool {
        let token = |c: &char| c.is_ascii_alphanumeric() || "-_+/=.".contains(*c);
        let before = s.get(..at).unwrap_or_default();
        let long_before = before
            .chars()
            .rev()
            .take_while(token)
            .take(WRAPPED_LINE_MIN)
            .count()
            >= WRAPPED_LINE_MIN;
        let after = s.get(at..).unwrap_or_default();
        let after = after
            .strip_prefix("\r\n")
            .unwrap_or_else(|| after.get(1..).unwrap_or_default());
        let next_line = after.split(['\n', '\r']).next().unwrap_or_default();
        long_before && next_line.len() >= WRAPPED_LINE_MIN && next_line.chars().all(|c| token(&c))
    }

    proptest! {
        /// Reading bytes decides every break as reading chars does.
        #[test]
        fn wrapped_breaks_by_bytes_are_by_chars(
            parts in prop::collection::vec(
                prop_oneof!["[A-Za-z0-9+/=.]{14,18}", "[A-Za-z0-9]{0,6}", "[ ,;é😀]{1,2}", "\r?\n|\r"],
                0..10,
            ),
        ) {
            let s = parts.concat();
            for at in memchr::memchr2_iter(b'\n', b'\r', s.as_bytes()) {
                prop_assert_eq!(is_wrapped_break(&s, at), is_wrapped_break_by_chars(&s, at), "{:?} at {}", s, at);
            }
        }
    }

    proptest! {
        #[test]
        fn ranges_are_char_boundaries_and_monotonic(
            parts in prop::collection::vec(fragment(), 0..24),
            cuts in prop::collection::vec(0usize..200, 4),
        ) {
            let original: String = parts.concat();
            let n = Normalized::new(&original);
            let len = n.text().len();
            let mut cuts = cuts;
            cuts.sort_unstable();
            let (a, b, c, d) = (cuts[0], cuts[1], cuts[2], cuts[3]);
            for (s, e) in [(a, b), (a, c), (a, d), (b, c), (b, d), (c, d)] {
                let (os, oe) = n.original_range(s, e);
                prop_assert!(os <= oe && oe <= original.len());
                prop_assert!(original.is_char_boundary(os) && original.is_char_boundary(oe));
                if s < e.min(len) {
                    prop_assert!(os < oe, "non-empty range {s}..{e} mapped to empty");
                }
            }
            // for non-empty ranges the start depends on `start` only and the
            // end on `end` only, both non-decreasing
            if a < b && b < len {
                let (s1, e1) = n.original_range(a, b);
                let (s2, e2) = n.original_range(b, len);
                prop_assert!(s1 <= s2 && e1 <= e2);
                prop_assert_eq!(n.original_range(a, len).0, s1);
                prop_assert_eq!(n.original_range(b, len).1, e2);
            }
            // every normalized char maps to a non-empty original slice, in order
            let mut last = 0;
            for (i, ch) in n.text().char_indices() {
                let (os, oe) = n.original_range(i, i + ch.len_utf8());
                prop_assert!(os < oe && os >= last);
                last = os;
            }
        }

        #[test]
        fn percent_decoding_never_panics_and_maps_back(s in "[%0-9A-Fa-fg ]{0,48}") {
            let n = Normalized::new(&s);
            for (i, ch) in n.text().char_indices() {
                let (os, oe) = n.original_range(i, i + ch.len_utf8());
                prop_assert!(os < oe && oe <= s.len());
            }
        }

        #[test]
        fn the_fast_path_test_is_the_substring_test(s in "[\\\\u%a ]{0,24}") {
            prop_assert_eq!(
                has_escape_or_percent(s.as_bytes()),
                s.contains("\\u") || s.contains('%')
            );
        }

        #[test]
        fn plain_ascii_is_identity(s in "[ -~]{0,64}") {
            prop_assume!(!s.contains("\\u") && !s.contains('%'));
            let n = Normalized::new(&s);
            prop_assert!(matches!(n.text, Cow::Borrowed(_)));
            prop_assert_eq!(n.text(), s.as_str());
            prop_assert_eq!(n.original_range(1, 5), (1.min(s.len()), 5.min(s.len())));
        }

        #[test]
        fn no_invisible_char_survives(parts in prop::collection::vec(fragment(), 0..16)) {
            let original: String = parts.concat();
            prop_assert!(!norm(&original).chars().any(is_invisible));
        }
    }
}
