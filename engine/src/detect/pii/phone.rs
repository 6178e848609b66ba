// SPDX-License-Identifier: Apache-2.0
//! Phone numbers. A run of digit groups (with `+`, parentheses and single
//! space, dash or dot separators) is read whole, then accepted only in a
//! known shape: international `+` form, a US/NANP or Russian national
//! format, or a bare national number next to a word such as "phone".
//! Reading the whole run first is what keeps dates, IPs, versions and the
//! groups of a card number from matching: their run has another shape.

use super::bounds::{next_char, prev_char};
use super::{candidate, words};
use crate::detect::context::has_context;
use crate::detect::text::Text;
use crate::detect::{Candidate, Detector, priority};
use crate::swar;

pub(super) const ID: &str = "phone_number";

const SCORE_INTERNATIONAL: f64 = 0.85;
const SCORE_NATIONAL: f64 = 0.8;
const SCORE_CONTEXT: f64 = 0.7;
/// Characters searched for a context word on each side.
const CONTEXT_WINDOW: usize = 32;
/// Fewest digits of any accepted shape (`+` and eight digits).
const MIN_DIGITS: usize = 8;
/// Longest run looked at; E.164 allows 15 digits, separators add some.
const MAX_DIGITS: usize = 15;

pub(super) struct PhoneDetector {
    context: Vec<String>,
}

impl PhoneDetector {
    pub(super) fn new() -> Self {
        PhoneDetector {
            context: words(&[
                "phone",
                "telephone",
                "tel",
                "call",
                "mobile",
                "mob",
                "cell",
                "whatsapp",
                "fax",
                "телефон",
                "тел",
                "моб",
                "мобильный",
                "звоните",
                "позвоните",
            ]),
        }
    }

    /// The end and score of the phone number that `run` starts with. The
    /// whole run is tried first; a number written in a known format may
    /// also be followed by a space and more digits (`415-555-0132 2 times`).
    fn accept(&self, text: &str, run: &Run) -> Option<(usize, f64)> {
        // Every accepted shape has at least eight digits.
        if run.digit_count() < MIN_DIGITS || !before_ok(text, run.start) {
            return None;
        }
        if opens_with_date(run) {
            return None;
        }
        self.accept_prefixes(text, run)
    }

    /// The longest prefix of `run` (whole, or cut after a space) that
    /// classifies as a phone.
    fn accept_prefixes(&self, text: &str, run: &Run) -> Option<(usize, f64)> {
        let n = run.groups.len();
        let mut digits_in_prefix = run.digit_count();
        (1..=n).rev().find_map(|k| {
            let whole = k == n;
            let digits = digits_in_prefix;
            digits_in_prefix -= run.groups.get(k - 1).map_or(0, |g| g.digits.len());
            // `classify` takes no other digit count (tested), and copies.
            if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits) {
                return None;
            }
            if !whole && run.seps.get(k - 1) != Some(&Some(b' ')) {
                return None;
            }
            let prefix = run.prefix(k);
            if !after_ok(text, prefix.end) {
                return None;
            }
            let score = match classify(&prefix) {
                Shape::International => SCORE_INTERNATIONAL,
                Shape::National => SCORE_NATIONAL,
                Shape::NeedsContext
                    if whole
                        && has_context(text, run.start, run.end, CONTEXT_WINDOW, &self.context) =>
                {
                    SCORE_CONTEXT
                }
                Shape::NeedsContext | Shape::Other => return None,
            };
            Some((prefix.end, score))
        })
    }
}

impl Detector for PhoneDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !shared.has_digits(MIN_DIGITS) {
            return;
        }
        let mut run = Run::default();
        let mut i = 0;
        for (first_digit, end) in chains(shared.digit_sequences()) {
            // `+(` is the most a run puts before its first digit.
            let from = first_digit.saturating_sub(2).max(i);
            i = self.read_runs(text, from, end, &mut run, out);
        }
    }
}

/// Stretches of digit sequences close enough to be one run (at most three
/// bytes apart: `) (`), keeping those with [`MIN_DIGITS`] digits: a run
/// with enough digits for a phone lies inside one, and the many short
/// numbers of logs and JSON are not read as runs at all.
fn chains(
    mut sequences: impl Iterator<Item = (usize, usize)>,
) -> impl Iterator<Item = (usize, usize)> {
    let mut next = sequences.next();
    std::iter::from_fn(move || {
        loop {
            let (start, mut end) = next?;
            let mut digits = end - start;
            next = sequences.next();
            while let Some((s, e)) = next.filter(|&(s, _)| s <= end + 3) {
                digits += e - s;
                end = e;
                next = sequences.next();
            }
            if digits >= MIN_DIGITS {
                return Some((start, end));
            }
        }
    })
}

impl PhoneDetector {
    /// Reads and judges every run starting in `from..until`; returns where
    /// reading stopped.
    fn read_runs<'a>(
        &self,
        text: &'a str,
        from: usize,
        until: usize,
        run: &mut Run<'a>,
        out: &mut Vec<Candidate>,
    ) -> usize {
        let bytes = text.as_bytes();
        // Only a digit, `+` or `(` can start a run: skip to the next one.
        let may_start = |w| swar::digits(w) | swar::eq(w, b'+') | swar::eq(w, b'(');
        let mut i = from;
        while let Some(at) = swar::find(bytes, i, may_start).filter(|&at| at < until) {
            i = at;
            let starts_run = bytes.get(i).is_some_and(u8::is_ascii_digit)
                || bytes
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == b'(');
            if !starts_run {
                i += 1;
                continue;
            }
            read_run_into(text, i, run);
            i = run.end.max(i + 1);
            if let Some((end, score)) = self.accept(text, run) {
                out.push(candidate(run.start, end, ID, score, priority::GENERIC));
            }
        }
        i
    }
}

/// One digit group of a run: its digits and whether it was in parentheses.
#[derive(Debug, Clone, PartialEq)]
struct Group<'a> {
    digits: &'a str,
    paren: bool,
    /// Byte offset just after the group (and its closing parenthesis).
    end: usize,
}

/// A run of digit groups as it appears in the text.
#[derive(Debug, Clone, PartialEq, Default)]
struct Run<'a> {
    start: usize,
    end: usize,
    plus: bool,
    groups: Vec<Group<'a>>,
    /// The separator before each group after the first (`None`: adjacent,
    /// as in `8(912)345`).
    seps: Vec<Option<u8>>,
}

impl<'a> Run<'a> {
    /// The run cut after its first `k` groups, borrowed (classifying every
    /// prefix of every long number copied them before).
    fn prefix(&self, k: usize) -> RunView<'_, 'a> {
        let groups = self.groups.get(..k).unwrap_or(&self.groups);
        RunView {
            end: groups.last().map_or(self.start, |g| g.end),
            plus: self.plus,
            seps: self.seps.get(..k.saturating_sub(1)).unwrap_or(&self.seps),
            groups,
        }
    }

    #[cfg(test)]
    fn lens(&self) -> Vec<usize> {
        self.groups.iter().map(|g| g.digits.len()).collect()
    }

    fn digit_count(&self) -> usize {
        self.groups.iter().map(|g| g.digits.len()).sum()
    }
}

/// A run or the first groups of one: what `classify` reads.
#[derive(Debug, Clone, Copy)]
struct RunView<'r, 'a> {
    end: usize,
    plus: bool,
    groups: &'r [Group<'a>],
    seps: &'r [Option<u8>],
}

/// Group lengths kept for shape checks: every shape read is shorter, and
/// a classified number has at most [`MAX_DIGITS`] groups.
const MAX_GROUPS: usize = MAX_DIGITS + 1;

impl RunView<'_, '_> {
    /// The lengths of the first [`MAX_GROUPS`] groups, without allocating.
    fn lens(&self) -> ([usize; MAX_GROUPS], usize) {
        let mut lens = [0; MAX_GROUPS];
        let mut n = 0;
        for (slot, group) in lens.iter_mut().zip(self.groups) {
            *slot = group.digits.len();
            n += 1;
        }
        (lens, n)
    }

    #[cfg(test)]
    fn digit_count(&self) -> usize {
        self.groups.iter().map(|g| g.digits.len()).sum()
    }

    /// All the digits, in `buf`; `None` when there are more than
    /// [`MAX_DIGITS`] (no phone has).
    fn digits<'b>(&self, buf: &'b mut [u8; MAX_DIGITS]) -> Option<&'b str> {
        concat_digits(self.groups, buf)
    }
}

/// The digits of `groups`, in `buf`; `None` when they do not fit.
fn concat_digits<'b>(groups: &[Group<'_>], buf: &'b mut [u8; MAX_DIGITS]) -> Option<&'b str> {
    let mut n = 0;
    for group in groups {
        let digits = group.digits.as_bytes();
        buf.get_mut(n..n + digits.len())?.copy_from_slice(digits);
        n += digits.len();
    }
    std::str::from_utf8(buf.get(..n)?).ok()
}

/// [`read_run_into`] into a new run (tests).
#[cfg(test)]
fn read_run(text: &str, start: usize) -> Run<'_> {
    let mut run = Run::default();
    read_run_into(text, start, &mut run);
    run
}

/// Reads the longest run starting at `start` (a digit, `+` or `(`) into
/// `run`, reusing its buffers: the detector reads every digit run of the
/// text (numbers in code and logs are most of them), and a fresh pair of
/// vectors per run was a malloc and a free each.
fn read_run_into<'a>(text: &'a str, start: usize, run: &mut Run<'a>) {
    let bytes = text.as_bytes();
    run.start = start;
    run.end = start;
    run.plus = false;
    run.groups.clear();
    run.seps.clear();
    let mut j = start;
    if bytes.get(j) == Some(&b'+') {
        run.plus = true;
        j += 1;
    }
    let mut pending_sep: Option<u8> = None;
    loop {
        let paren = bytes.get(j) == Some(&b'(');
        let mut k = if paren { j + 1 } else { j };
        let digits_start = k;
        while bytes.get(k).is_some_and(u8::is_ascii_digit) {
            k += 1;
        }
        if k == digits_start || (paren && bytes.get(k) != Some(&b')')) {
            break;
        }
        let digits = text.get(digits_start..k).unwrap_or_default();
        if paren {
            k += 1;
        }
        if !run.groups.is_empty() {
            run.seps.push(pending_sep);
        }
        run.groups.push(Group {
            digits,
            paren,
            end: k,
        });
        run.end = k;
        j = k;
        pending_sep = None;
        if let Some(&s @ (b' ' | b'-' | b'.')) = bytes.get(j) {
            pending_sep = Some(s);
            j += 1;
        }
        let continues = bytes
            .get(j)
            .is_some_and(|n| n.is_ascii_digit() || *n == b'(');
        if !continues {
            break;
        }
    }
    if run.groups.is_empty() {
        // A lone `+` or `(`: nothing read.
        run.end = start;
    }
}

/// The run does not continue a word, a ticket (`#`), an amount (`$`), a
/// path or an arithmetic expression.
fn before_ok(text: &str, start: usize) -> bool {
    prev_char(text, start).is_none_or(|c| {
        !(c.is_alphanumeric()
            || matches!(
                c,
                '_' | '-' | '.' | '/' | '\\' | '#' | '$' | '€' | '£' | '@' | '+' | '*' | '^'
            ))
    })
}

/// Nothing glued after the number: letters, `@`, `%`, a path.
fn after_ok(text: &str, end: usize) -> bool {
    next_char(text, end).is_none_or(|c| {
        !(c.is_alphanumeric() || matches!(c, '_' | '@' | '%' | '/' | '\\' | '+' | '*' | '^'))
    })
}

/// What a run looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `+` and 8–15 digits.
    International,
    /// A NANP or Russian national format with separators.
    National,
    /// Could be a national number, but only with a context word.
    NeedsContext,
    /// Not a phone number.
    Other,
}

fn classify(run: &RunView) -> Shape {
    // The digits are copied out only for the shapes that read them.
    let count: usize = run.groups.iter().map(|g| g.digits.len()).sum();
    if count > MAX_DIGITS {
        return Shape::Other;
    }
    let mut buf = [0; MAX_DIGITS];
    if run.plus {
        let international = run
            .digits(&mut buf)
            .is_some_and(|digits| international_ok(run, digits));
        return if international {
            Shape::International
        } else {
            Shape::Other
        };
    }
    if nanp_formatted(run) || russian_formatted(run) {
        return Shape::National;
    }
    if !matches!(count, 10 | 11) {
        return Shape::Other;
    }
    let Some(digits) = run.digits(&mut buf) else {
        return Shape::Other;
    };
    // With a context word: a bare national number of a known plan, or a
    // national number with a trunk `0` in any grouping (`06 12 34 56 78`,
    // `020 7946 0958`).
    let bare = run.groups.len() == 1;
    let plausible = match count {
        10 => digits.starts_with('0') || (bare && nanp_ok(digits)),
        11 => {
            digits.starts_with('0')
                || (bare
                    && (digits.strip_prefix('1').is_some_and(nanp_ok)
                        || (digits.starts_with(['7', '8']) && russian_area_ok(digits.get(1..)))))
        }
        _ => false,
    };
    if plausible && !date_like(run) {
        Shape::NeedsContext
    } else {
        Shape::Other
    }
}

/// `+` form: E.164 length, no leading 0 in the country code, and the
/// national rules of +1 and +7.
fn international_ok(run: &RunView, digits: &str) -> bool {
    if !(8..=MAX_DIGITS).contains(&digits.len()) || digits.starts_with('0') || date_like(run) {
        return false;
    }
    // Country codes 1 (NANP) and 7 (Russia, Kazakhstan) have one length.
    match digits.get(..1) {
        Some("1") => digits.len() == 11 && digits.get(1..).is_some_and(nanp_ok),
        Some("7") => digits.len() == 11 && russian_area_ok(digits.get(1..)),
        _ => true,
    }
}

/// NANP area code and exchange: first digit 2–9, not an N11 service code.
fn nanp_ok(ten: &str) -> bool {
    let b = ten.as_bytes();
    let code_ok = |i: usize| match (b.get(i), b.get(i + 1), b.get(i + 2)) {
        (Some(first), Some(second), Some(third)) => {
            (b'2'..=b'9').contains(first) && !(*second == b'1' && *third == b'1')
        }
        _ => false,
    };
    ten.len() == 10 && ten.bytes().all(|d| d.is_ascii_digit()) && code_ok(0) && code_ok(3)
}

/// Area and operator codes of the +7 plan start with 3, 4, 8 or 9
/// (Russia) or 6 or 7 (Kazakhstan).
fn russian_area_ok(ten: Option<&str>) -> bool {
    ten.is_some_and(|t| t.len() == 10 && t.starts_with(['3', '4', '6', '7', '8', '9']))
}

/// `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`,
/// `1-415-555-0132`, `1 (415) 555-0132`.
fn nanp_formatted(run: &RunView) -> bool {
    let (lens, n) = run.lens();
    let skip = match lens.get(..n).unwrap_or_default() {
        [3, 3, 4] => 0,
        [1, 3, 3, 4]
            if run
                .groups
                .first()
                .is_some_and(|g| g.digits == "1" && !g.paren) =>
        {
            1
        }
        _ => return false,
    };
    let national = run.groups.get(skip..).unwrap_or_default();
    let seps = run.seps.get(skip..).unwrap_or_default();
    let area_paren = national.first().is_some_and(|g| g.paren);
    if national.iter().skip(1).any(|g| g.paren) {
        return false;
    }
    let seps_ok = if area_paren {
        // `(415) 555-0132`, `(415)555-0132`: the last separator is real.
        seps.last().is_some_and(|s| s.is_some())
    } else {
        // Without parentheses every group is separated, the same way, or
        // space then dash (`415 555-0132`).
        match seps {
            [Some(a), Some(b)] => a == b || (*a == b' ' && *b == b'-'),
            _ => false,
        }
    };
    // `1-415…`, `1 (415)…`: the trunk 1 is separated too.
    let trunk_ok = skip == 0 || run.seps.first().is_some_and(|s| s.is_some());
    let mut buf = [0; MAX_DIGITS];
    seps_ok && trunk_ok && concat_digits(national, &mut buf).is_some_and(nanp_ok)
}

/// `8 912 345 67 89`, `8 (912) 345-67-89`, `8(912)3456789`, `8-912-345-6789`.
fn russian_formatted(run: &RunView) -> bool {
    let (lens, n) = run.lens();
    // The shape first: nearly every run fails it, before the digits are
    // copied out.
    if !matches!(
        lens.get(..n).unwrap_or_default(),
        [1, 3, 3, 2, 2] | [1, 3, 3, 4] | [1, 3, 7]
    ) {
        return false;
    }
    let trunk_ok = run
        .groups
        .first()
        .is_some_and(|g| g.digits == "8" && !g.paren);
    let area_paren = run.groups.get(1).is_some_and(|g| g.paren);
    let others_plain = run.groups.iter().skip(2).all(|g| !g.paren);
    // Adjacent groups are only allowed around the parenthesised code.
    let seps_ok = run
        .seps
        .iter()
        .enumerate()
        .all(|(i, s)| s.is_some() || (area_paren && i <= 1));
    let mut buf = [0; MAX_DIGITS];
    let digits = run.digits(&mut buf).unwrap_or_default();
    trunk_ok && others_plain && seps_ok && russian_area_ok(digits.get(1..))
}

/// A run that opens with a date (`2024-01-15 10:23`, every log line's
/// stamp) is no phone: each of its prefixes with eight digits or more is
/// [`date_like`], which every shape refuses (tested), and the shorter
/// ones have too few digits.
fn opens_with_date(run: &Run) -> bool {
    run.groups
        .iter()
        .map(|g| g.digits.len())
        .take(3)
        .eq([4, 2, 2])
}

/// `2024-01-15`, `+2024.01.15`: year, month and day groups.
fn date_like(run: &RunView) -> bool {
    let (lens, n) = run.lens();
    matches!(
        lens.get(..n).unwrap_or_default(),
        [4, 2, 2] | [2, 2, 4] | [4, 2, 2, _, ..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        PhoneDetector::new().detect(text, &mut out);
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    proptest::proptest! {
        /// A run that opens with a date has no prefix that classifies as a
        /// phone, context word or not: `accept` may skip it.
        #[test]
        fn runs_opening_with_a_date_are_no_phone(
            tail in "([ .-]\\(?[0-9]{1,5}\\)?){0,4}",
            sep in "[ .-]",
            plus in proptest::bool::ANY,
        ) {
            let lead = if plus { "+" } else { "" };
            let text = format!("tel {lead}2024{sep}01{sep}15{tail}");
            let run = read_run(&text, 4);
            proptest::prop_assert!(opens_with_date(&run), "{:?}", run);
            let detector = PhoneDetector::new();
            proptest::prop_assert_eq!(detector.accept_prefixes(&text, &run), None, "{:?}", text);
        }

        /// `accept` skips prefixes with fewer than `MIN_DIGITS` or more than
        /// `MAX_DIGITS` digits without classifying them: none is a phone.
        #[test]
        fn classify_takes_only_eight_to_fifteen_digits(
            text in "\\+?(\\(?[0-9]{1,5}\\)?[ .-]?){1,6}",
        ) {
            let run = read_run(&text, 0);
            for k in 1..=run.groups.len() {
                let prefix = run.prefix(k);
                if !(MIN_DIGITS..=MAX_DIGITS).contains(&prefix.digit_count()) {
                    proptest::prop_assert_eq!(classify(&prefix), Shape::Other, "{}", text);
                }
            }
        }
    }

    proptest::proptest! {
        /// Reading only the chains finds what reading every run finds.
        #[test]
        fn chains_find_every_phone(parts in proptest::collection::vec(
            proptest::prop_oneof![
                "[0-9]{1,4}",
                "[ .()+-]{1,2}",
                "[a-z:]{1,3}",
                "(\\+?[0-9]{1,3}[ -]?)?\\(?[0-9]{3}\\)?[ .-]?[0-9]{3}[ .-]?[0-9]{2,4}",
            ],
            0..12,
        )) {
            let text = parts.concat();
            let detector = PhoneDetector::new();
            let mut every = Vec::new();
            detector.read_runs(&text, 0, text.len(), &mut Run::default(), &mut every);
            let mut chained = Vec::new();
            detector.detect(&text, &mut chained);
            let spans = |c: &[Candidate]| c.iter().map(|c| (c.start, c.end)).collect::<Vec<_>>();
            proptest::prop_assert_eq!(spans(&chained), spans(&every), "{:?}", text);
        }
    }

    #[test]
    fn reads_runs_whole() {
        let run = read_run("+7 (912) 345-67-89!", 0);
        assert!(run.plus);
        assert_eq!(run.lens(), [1, 3, 3, 2, 2]);
        assert_eq!(run.end, 18);
        assert_eq!(run.seps, [Some(b' '), Some(b' '), Some(b'-'), Some(b'-')]);
        let run = read_run("8(912)3456789", 0);
        assert_eq!(run.lens(), [1, 3, 7]);
        assert_eq!(run.seps, [None, None]);
        let run = read_run("415-555-0132. Next", 0);
        assert_eq!(run.end, 12);
        let run = read_run("(415 555", 0);
        assert!(run.groups.is_empty());
    }

    #[test]
    fn finds_formats() {
        let cases: &[(&str, &[&str])] = &[
            ("call +1 415 555 0132 now", &["+1 415 555 0132"]),
            ("+14155550132", &["+14155550132"]),
            ("UK office +44 20 7946 0958.", &["+44 20 7946 0958"]),
            ("Berlin +49 (0)30 1234567", &["+49 (0)30 1234567"]),
            ("(415) 555-0132", &["(415) 555-0132"]),
            ("(415)555-0132", &["(415)555-0132"]),
            ("at 415-555-0132, or", &["415-555-0132"]),
            ("415.555.0132", &["415.555.0132"]),
            ("415 555 0132", &["415 555 0132"]),
            ("1-415-555-0132", &["1-415-555-0132"]),
            ("1 (415) 555-0132", &["1 (415) 555-0132"]),
            ("Звоните +7 (912) 345-67-89", &["+7 (912) 345-67-89"]),
            ("8 912 345 67 89", &["8 912 345 67 89"]),
            ("8(912)3456789", &["8(912)3456789"]),
            ("8 (495) 123-45-67", &["8 (495) 123-45-67"]),
            ("phone: 4155550132", &["4155550132"]),
            ("тел. 89123456789", &["89123456789"]),
            ("mobile 06 12 34 56 78", &["06 12 34 56 78"]),
            ("London office, phone 020 7946 0958", &["020 7946 0958"]),
            // Four digits then two, but no date: still read.
            ("tel 0612 34 5678", &["0612 34 5678"]),
            ("name,phone\nAnn,415-555-0132\n", &["415-555-0132"]),
            ("call 415-555-0132 2 times", &["415-555-0132"]),
            ("+7 912 345 67 89 12 раз", &["+7 912 345 67 89"]),
            ("Алматы +7 701 234 5678", &["+7 701 234 5678"]),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_numbers_that_are_not_phones() {
        for text in [
            "released 2024-01-15 at 10:30:00",
            "timestamp 1705312200",
            "order 4155550132 shipped",
            "Order #415-555-0132",
            "ORD-415-555-0132",
            "version 1.2.3 and 10.0.19041.1",
            "host 192.168.100.200",
            "card 4539 1488 0343 6467",
            "card 4155 5501 3255 5013",
            "ssn 536-22-1847",
            "zip 94107-1234",
            "price $415.55",
            "(415) 155-0132",
            "015-555-0132",
            "415-555-0132x",
            "+0 415 555 0132",
            "+1234567",
            "2+14155550132",
            "id 415-555-01324",
            "415-555.0132",
            "8 112 345 67 89",
            "call about passport 4514 582931",
            "call me at 10.",
            "card 4155 5501 3255 5012",
            "+2024-01-15",
            "+7 123 456 78 90",
            "+1 415 555 01325",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
