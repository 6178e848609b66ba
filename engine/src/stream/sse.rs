// SPDX-License-Identifier: Apache-2.0
//! Incremental Server-Sent Events parsing over raw bytes, keeping every
//! event's original bytes so untouched events are re-emitted byte-exact.
//!
//! Follows the WHATWG "event stream" grammar
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream>):
//! lines end in `\r\n`, `\n` or `\r`; a blank line ends an event; `:` starts
//! a comment; a field is `name: value` (one leading space of the value is
//! dropped); `data` lines join with `\n`; a leading UTF-8 BOM is ignored.
//! Chunks may split anywhere, including inside a UTF-8 character or between
//! `\r` and `\n`: bytes are buffered until their event is complete, and
//! decoded only then.
//!
//! An event growing past `max_event_bytes` is not buffered further: its
//! bytes are handed on as they come ([`Item::Oversized`], then
//! [`Item::Raw`]) until its blank line.

use std::ops::Range;

/// What a parsed line is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    /// `data:`; the range is the value.
    Data(Range<usize>),
    /// `event:`; the range is the value.
    Event(Range<usize>),
    /// A comment, `id:`, `retry:` or an unknown field: kept, not interpreted.
    Other,
}

/// One complete line of an event, as byte offsets into its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// First byte of the field name (after a BOM on the stream's first line).
    start: usize,
    /// End of the line's content (start of its terminator).
    content_end: usize,
    /// End of the terminator.
    end: usize,
    field: Field,
}

/// One event block: its lines up to and including the blank line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    raw: Vec<u8>,
    lines: Vec<Line>,
}

impl SseEvent {
    /// The bytes exactly as received.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Consumes the event, returning its bytes exactly as received.
    pub fn into_raw(self) -> Vec<u8> {
        self.raw
    }

    /// The `event:` field (the last one wins); `None` means the default type
    /// `message`, or a value that is not UTF-8.
    pub fn event_type(&self) -> Option<&str> {
        self.lines.iter().rev().find_map(|line| match &line.field {
            Field::Event(value) => self
                .raw
                .get(value.clone())
                .and_then(|v| std::str::from_utf8(v).ok()),
            _ => None,
        })
    }

    /// The data buffer (`data:` values joined by `\n`); `None` when the
    /// event has no `data:` line (a browser would not dispatch it).
    pub fn data(&self) -> Option<Vec<u8>> {
        let mut data: Option<Vec<u8>> = None;
        for line in &self.lines {
            if let Field::Data(value) = &line.field {
                let buf = match data.as_mut() {
                    Some(buf) => {
                        buf.push(b'\n');
                        buf
                    }
                    None => data.insert(Vec::new()),
                };
                buf.extend_from_slice(self.raw.get(value.clone()).unwrap_or_default());
            }
        }
        data
    }

    /// The line terminator of the event's first line (`\n` if none).
    pub fn line_ending(&self) -> &[u8] {
        self.lines
            .first()
            .and_then(|line| self.raw.get(line.content_end..line.end))
            .filter(|eol| !eol.is_empty())
            .unwrap_or(b"\n")
    }

    /// The event's bytes with its data replaced by `data`: the first `data:`
    /// line carries the new value (one `data:` line per line of `data`,
    /// written with that line's prefix and terminator), the other `data:`
    /// lines are dropped, and every other byte (`event:`, `id:`, comments,
    /// the blank line) is kept as it was.
    pub fn with_data(&self, data: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len() + data.len());
        let mut copied = 0;
        let mut written = false;
        for line in &self.lines {
            let Field::Data(value) = &line.field else {
                continue;
            };
            push_segment(
                &mut out,
                self.raw.get(copied..line.start).unwrap_or_default(),
            );
            copied = line.end;
            if written {
                continue;
            }
            written = true;
            let prefix = self.raw.get(line.start..value.start).unwrap_or_default();
            let prefix: &[u8] = if prefix.ends_with(b":") || prefix.ends_with(b": ") {
                prefix
            } else {
                b"data: "
            };
            let eol = self
                .raw
                .get(line.content_end..line.end)
                .filter(|eol| !eol.is_empty())
                .unwrap_or(b"\n");
            for part in data.split('\n') {
                out.extend_from_slice(prefix);
                // A reader strips one space after `data:`: a line that
                // starts with one needs it written (found by fuzzing).
                if !prefix.ends_with(b" ") && part.starts_with(' ') {
                    out.push(b' ');
                }
                out.extend_from_slice(part.as_bytes());
                out.extend_from_slice(eol);
            }
        }
        push_segment(&mut out, self.raw.get(copied..).unwrap_or_default());
        out
    }
}

/// Appends kept bytes after a dropped or rewritten `data:` line. A line
/// ended by a lone `\r` followed by a line that starts with `\n` (the blank
/// line) would read as one `\r\n`, and the event would lose its end and
/// swallow the next one (found by fuzzing): the `\r` becomes a `\r\n`.
fn push_segment(out: &mut Vec<u8>, segment: &[u8]) {
    if out.ends_with(b"\r") && segment.starts_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(segment);
}

/// Output of [`SseParser::feed`], in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A complete event (or a block of only comments / blank lines).
    Event(SseEvent),
    /// The first bytes of an event that outgrew the size limit; the rest of
    /// it follows as [`Item::Raw`].
    Oversized(Vec<u8>),
    /// Bytes to pass on as they are.
    Raw(Vec<u8>),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental SSE parser. Concatenating the raw bytes of everything it
/// returns (events' `raw()`, `Oversized`, `Raw`, and `finish`) gives back
/// exactly the bytes fed.
#[derive(Debug, Clone)]
pub struct SseParser {
    max_event_bytes: usize,
    /// Bytes of the current event (not used while passing an oversized one).
    raw: Vec<u8>,
    lines: Vec<Line>,
    /// Offset in `raw` where the current line starts.
    line_start: usize,
    /// Content bytes of the current line so far.
    line_len: usize,
    /// The last byte consumed was a `\r` that ended a line; a `\n` right
    /// after it belongs to the same terminator.
    after_cr: bool,
    /// No line completed yet: a BOM may lead the first one.
    at_stream_start: bool,
    /// Passing an oversized event through until its blank line.
    passing: bool,
}

impl SseParser {
    /// A parser buffering events of up to `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> SseParser {
        SseParser {
            max_event_bytes,
            raw: Vec::new(),
            lines: Vec::new(),
            line_start: 0,
            line_len: 0,
            after_cr: false,
            at_stream_start: true,
            passing: false,
        }
    }

    /// Consumes `chunk`; returns what became complete.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Item> {
        let mut items = Vec::new();
        let mut rest = chunk;
        while !rest.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if let Some((b'\n', tail)) = rest.split_first() {
                    self.lf_after_cr(&mut items);
                    rest = tail;
                    continue;
                }
            }
            match rest.iter().position(|&b| b == b'\r' || b == b'\n') {
                None => {
                    self.append(rest, &mut items);
                    self.line_len += rest.len();
                    rest = &[];
                }
                Some(at) => {
                    let (content, tail) = rest.split_at(at);
                    self.append(content, &mut items);
                    self.line_len += content.len();
                    let Some((&eol, tail)) = tail.split_first() else {
                        break;
                    };
                    self.append(&[eol], &mut items);
                    self.after_cr = eol == b'\r';
                    self.end_line(&mut items);
                    rest = tail;
                }
            }
        }
        items
    }

    /// Ends the stream: returns the bytes of an unterminated last event
    /// (which a client would discard), if any.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        self.lines.clear();
        self.line_start = 0;
        self.line_len = 0;
        self.after_cr = false;
        self.passing = false;
        self.at_stream_start = true;
        let raw = std::mem::take(&mut self.raw);
        (!raw.is_empty()).then_some(raw)
    }

    fn append(&mut self, bytes: &[u8], items: &mut Vec<Item>) {
        if bytes.is_empty() {
            return;
        }
        if self.passing {
            push_raw(items, bytes);
            return;
        }
        self.raw.extend_from_slice(bytes);
        if self.raw.len() > self.max_event_bytes {
            self.passing = true;
            self.lines.clear();
            self.line_start = 0;
            items.push(Item::Oversized(std::mem::take(&mut self.raw)));
        }
    }

    /// The `\n` of a `\r\n` whose `\r` already ended a line.
    fn lf_after_cr(&mut self, items: &mut Vec<Item>) {
        if self.passing || self.raw.is_empty() {
            // The `\r` ended an event (or an oversized one is passing):
            // nothing buffered to attach it to.
            push_raw(items, b"\n");
            return;
        }
        self.raw.push(b'\n');
        self.line_start = self.raw.len();
        if let Some(line) = self.lines.last_mut() {
            line.end = self.raw.len();
        }
    }

    fn end_line(&mut self, items: &mut Vec<Item>) {
        let blank = self.line_len == 0;
        let first_line = std::mem::replace(&mut self.at_stream_start, false);
        self.line_len = 0;
        if blank {
            if self.passing {
                self.passing = false;
            } else {
                let event = SseEvent {
                    raw: std::mem::take(&mut self.raw),
                    lines: std::mem::take(&mut self.lines),
                };
                items.push(Item::Event(event));
            }
            self.line_start = 0;
            return;
        }
        if self.passing {
            return;
        }
        // The one-byte terminator (`\r` or `\n`) was just appended; the `\n`
        // of a `\r\n` is added to the line later by `lf_after_cr`.
        let end = self.raw.len();
        let content_end = end.saturating_sub(1);
        let mut start = self.line_start;
        if first_line
            && self
                .raw
                .get(start..content_end)
                .is_some_and(|c| c.starts_with(BOM))
        {
            start += BOM.len();
        }
        let field = parse_field(&self.raw, start..content_end);
        self.lines.push(Line {
            start,
            content_end,
            end,
            field,
        });
        self.line_start = end;
    }
}

fn push_raw(items: &mut Vec<Item>, bytes: &[u8]) {
    if let Some(Item::Raw(buf)) = items.last_mut() {
        buf.extend_from_slice(bytes);
    } else {
        items.push(Item::Raw(bytes.to_vec()));
    }
}

fn parse_field(raw: &[u8], content: Range<usize>) -> Field {
    let Some(line) = raw.get(content.clone()) else {
        return Field::Other;
    };
    let (name, value) = match line.iter().position(|&b| b == b':') {
        Some(0) => return Field::Other,
        Some(colon) => {
            let mut value_start = content.start + colon + 1;
            if raw.get(value_start) == Some(&b' ') {
                value_start += 1;
            }
            (
                line.get(..colon).unwrap_or_default(),
                value_start..content.end,
            )
        }
        None => (line, content.end..content.end),
    };
    match name {
        b"data" => Field::Data(value),
        b"event" => Field::Event(value),
        _ => Field::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(chunks: &[&[u8]], max: usize) -> (Vec<Item>, Option<Vec<u8>>) {
        let mut p = SseParser::new(max);
        let mut items = Vec::new();
        for chunk in chunks {
            items.extend(p.feed(chunk));
        }
        (items, p.finish())
    }

    fn concat(items: &[Item], tail: &Option<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Item::Event(e) => out.extend_from_slice(e.raw()),
                Item::Oversized(b) | Item::Raw(b) => out.extend_from_slice(b),
            }
        }
        out.extend_from_slice(tail.as_deref().unwrap_or_default());
        out
    }

    /// (event type, data) of every event that has data.
    fn events(items: &[Item]) -> Vec<(Option<String>, String)> {
        items
            .iter()
            .filter_map(|item| match item {
                Item::Event(e) => e.data().map(|d| {
                    (
                        e.event_type().map(str::to_owned),
                        String::from_utf8(d).unwrap(),
                    )
                }),
                _ => None,
            })
            .collect()
    }

    const MIXED: &[u8] = b"\xEF\xBB\xBFevent: a\r\ndata: 1\r\n\r\n: comment\n\nid: 7\rdata:two\rdata:  lines\r\rretry: 10\nevent: b\nevent: c\ndata\ndata: \xC3\xA9\xE6\x97\xA5\n\ndata: no end";

    fn expected_mixed() -> Vec<(Option<String>, String)> {
        vec![
            (Some("a".into()), "1".into()),
            (None, "two\n lines".into()),
            (Some("c".into()), "\né日".into()),
        ]
    }

    /// Issue 9 (found by the `sse` fuzz target): dropping the second
    /// `data:` line put the lone `\r` of `id: 5` before the blank line's
    /// `\n`; read as one `\r\n`, the rewritten event had no end.
    #[test]
    fn issue_9_with_data_keeps_the_event_end_after_a_lone_cr() {
        let raw: &[u8] = b"data: x\r\nid: 5\rdata: y\n\ndata: next\n\n";
        let (items, _) = parse(&[raw], 1 << 20);
        let Some(Item::Event(first)) = items.first() else {
            panic!("no event: {items:?}");
        };
        assert_eq!(first.data().as_deref(), Some(&b"x\ny"[..]));
        let mut rebuilt = first.with_data("z");
        rebuilt.extend_from_slice(b"data: next\n\n");
        let (again, tail) = parse(&[&rebuilt], 1 << 20);
        assert_eq!(tail, None);
        assert_eq!(
            events(&again),
            vec![(None, "z".to_string()), (None, "next".to_string())]
        );
        // Hard negative: with one data line nothing is dropped, the bytes
        // around it are kept as they were.
        let (items, _) = parse(&[b"data: x\rid: 5\n\n"], 1 << 20);
        let Some(Item::Event(only)) = items.first() else {
            panic!("no event: {items:?}");
        };
        assert_eq!(only.with_data("z"), b"data: z\rid: 5\n\n");
    }

    /// Issue 9 (found by the `sse` fuzz target): with the `data:` prefix
    /// (no space) kept, a data line starting with a space lost it.
    #[test]
    fn issue_9_with_data_keeps_a_leading_space() {
        let (items, _) = parse(&[b"data:x\n\n"], 1 << 20);
        let Some(Item::Event(event)) = items.first() else {
            panic!("no event: {items:?}");
        };
        let rebuilt = event.with_data("a\n b");
        let (again, _) = parse(&[&rebuilt], 1 << 20);
        assert_eq!(events(&again), vec![(None, "a\n b".to_string())]);
        // Hard negative: lines without a leading space keep the short prefix.
        assert_eq!(event.with_data("a\nb"), b"data:a\ndata:b\n\n");
    }

    #[test]
    fn parses_fields_and_line_endings() {
        let (items, tail) = parse(&[MIXED], 1 << 20);
        assert_eq!(events(&items), expected_mixed());
        assert_eq!(tail.as_deref(), Some(&b"data: no end"[..]));
        assert_eq!(concat(&items, &tail), MIXED);
    }

    #[test]
    fn every_split_gives_the_same_events_and_bytes() {
        for cut in 0..=MIXED.len() {
            let (a, b) = MIXED.split_at(cut);
            let (items, tail) = parse(&[a, b], 1 << 20);
            assert_eq!(events(&items), expected_mixed(), "cut {cut}");
            assert_eq!(concat(&items, &tail), MIXED, "cut {cut}");
        }
    }

    #[test]
    fn cr_then_lf_in_the_next_chunk_is_one_terminator() {
        let (items, _) = parse(&[b"data: x\r", b"\n\r", b"\ndata: y\n\n"], 1024);
        assert_eq!(events(&items), vec![(None, "x".into()), (None, "y".into())]);
        // A lone CR followed by CR is a blank line.
        let (items, _) = parse(&[b"data: x\r", b"\rdata: y\r\r"], 1024);
        assert_eq!(events(&items).len(), 2);
    }

    #[test]
    fn with_data_keeps_layout() {
        let (items, _) = parse(
            &[b": hi\r\nevent: e\r\ndata: {\"a\":\r\ndata: 1}\r\nid: 3\r\n\r\n"],
            1024,
        );
        let Some(Item::Event(e)) = items.first() else {
            panic!("{items:?}")
        };
        assert_eq!(e.data().unwrap(), b"{\"a\":\n1}");
        assert_eq!(e.line_ending(), b"\r\n");
        // The event ends at the blank line's `\r`; its `\n` follows as raw.
        assert_eq!(items.get(1), Some(&Item::Raw(b"\n".to_vec())));
        assert_eq!(
            e.with_data("{\"a\":2}"),
            b": hi\r\nevent: e\r\ndata: {\"a\":2}\r\nid: 3\r\n\r"
        );
        let (items, _) = parse(&[b"data:x\n\n"], 1024);
        let Some(Item::Event(e)) = items.first() else {
            panic!()
        };
        assert_eq!(e.with_data("y\nz"), b"data:y\ndata:z\n\n");
        let (items, _) = parse(&[b"\xEF\xBB\xBFdata: x\n\n"], 1024);
        let Some(Item::Event(e)) = items.first() else {
            panic!()
        };
        assert_eq!(e.with_data("y"), b"\xEF\xBB\xBFdata: y\n\n");
    }

    #[test]
    fn oversized_event_passes_through() {
        let big = format!("data: {}\n\ndata: small\n\n", "x".repeat(100));
        let (items, tail) = parse(&[big.as_bytes()], 32);
        assert!(matches!(items.first(), Some(Item::Oversized(_))));
        assert_eq!(events(&items), vec![(None, "small".into())]);
        assert_eq!(concat(&items, &tail), big.as_bytes());
        for cut in 0..=big.len() {
            let (a, b) = big.as_bytes().split_at(cut);
            let (items, tail) = parse(&[a, b], 32);
            assert_eq!(events(&items), vec![(None, "small".into())], "cut {cut}");
            assert_eq!(concat(&items, &tail), big.as_bytes());
        }
    }

    proptest! {
        #[test]
        fn bytes_are_preserved_for_any_input_and_split(
            input in proptest::collection::vec(prop_oneof![
                Just(b'\r'), Just(b'\n'), Just(b':'), Just(b' '), Just(b'd'),
                Just(0xC3), Just(0xA9), any::<u8>()
            ], 0..200),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            max in 1usize..64,
        ) {
            let mut at: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
            at.sort_unstable();
            let mut chunks: Vec<&[u8]> = Vec::new();
            let mut prev = 0;
            for cut in at {
                chunks.push(&input[prev..cut]);
                prev = cut;
            }
            chunks.push(&input[prev..]);
            let (items, tail) = parse(&chunks, max);
            prop_assert_eq!(concat(&items, &tail), input.clone());
            let (whole, _) = parse(&[&input], 1 << 20);
            let (split, _) = parse(&chunks, 1 << 20);
            prop_assert_eq!(events(&whole), events(&split));
        }
    }
}
