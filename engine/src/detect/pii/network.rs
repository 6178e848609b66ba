// SPDX-License-Identifier: Apache-2.0
//! Network identifiers: IPv4 and IPv6 addresses (strictly parsed, reported
//! by range — see the module docs of `pii` for which ranges) and MAC
//! addresses.

use super::bounds::{next_char, prev_char, word_before};
use super::{builtin_path, candidate, words};
use crate::detect::lookahead::long_runs;
use crate::detect::pattern::compile;
use crate::detect::runs::find_near;
use crate::detect::text::Text;
use crate::detect::validate::{ipv4_scope, ipv6_scope};
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use crate::swar::byte_table;
use regex::Regex;

pub(super) const IPV4_ID: &str = "ipv4";
pub(super) const IPV6_ID: &str = "ipv6";
pub(super) const MAC_ID: &str = "mac_address";
const IP_SCORE: f64 = 0.8;
const MAC_SCORE: f64 = 0.8;
/// Characters before a dotted quad searched for "version" and the like.
const VERSION_WINDOW: usize = 16;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The bytes of a dotted quad.
fn is_ipv4_byte(b: u8) -> bool {
    const IPV4: [bool; 256] = byte_table!(b => b.is_ascii_digit() || b == b'.');
    IPV4[usize::from(b)]
}

/// The bytes of an IPv6 address (an IPv4 tail included).
fn is_ipv6_byte(b: u8) -> bool {
    const IPV6: [bool; 256] = byte_table!(b => b.is_ascii_hexdigit() || b == b':' || b == b'.');
    IPV6[usize::from(b)]
}

/// Maximal runs of bytes satisfying `member` that start at a member byte:
/// the reference [`runs_with`] is checked against.
#[cfg(test)]
fn runs<'a>(bytes: &'a [u8], member: fn(u8) -> bool) -> impl Iterator<Item = (usize, usize)> + 'a {
    let mut i = 0;
    std::iter::from_fn(move || {
        let offset = bytes.get(i..)?.iter().position(|b| member(*b))?;
        let start = i + offset;
        let len = bytes
            .get(start..)?
            .iter()
            .position(|b| !member(*b))
            .unwrap_or(bytes.len() - start);
        i = start + len;
        Some((start, i))
    })
}

/// The maximal runs of `member` bytes that contain `needle` (itself a
/// member), in order: the same runs [`runs`] yields, minus those without
/// `needle`, found by jumping from one `needle` to the next (memchr speed)
/// instead of classifying every byte of the text.
fn runs_with<'a>(
    text: &'a str,
    member: impl Fn(u8) -> bool + 'a,
    needle: u8,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + memchr::memchr(needle, bytes.get(from..)?)?;
        let before = bytes.get(..at)?;
        let start = before
            .iter()
            .rposition(|b| !member(*b))
            .map_or(0, |i| i + 1);
        let after = bytes.get(at..)?;
        let end = at
            + after
                .iter()
                .position(|b| !member(*b))
                .unwrap_or(after.len());
        from = end;
        Some((start, end))
    })
}

/// Trailing sentence dots are not part of an address (`… 84.17.52.193.`),
/// unless a word follows them (`193.example.net` is a host name).
fn trim_trailing_dots(text: &str, start: usize, mut end: usize) -> Option<usize> {
    let full_end = end;
    while end > start && text.as_bytes().get(end - 1) == Some(&b'.') {
        end -= 1;
    }
    if end < full_end && next_char(text, end + 1).is_some_and(is_word) {
        return None;
    }
    Some(end)
}

pub(super) struct Ipv4Detector {
    report_private: bool,
    version_words: Vec<String>,
}

impl Ipv4Detector {
    pub(super) fn new(report_private: bool) -> Self {
        Ipv4Detector {
            report_private,
            version_words: words(&[
                "version",
                "ver",
                "v",
                "build",
                "release",
                "firmware",
                "rev",
                "версия",
            ]),
        }
    }
}

impl Detector for Ipv4Detector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        if memchr::memchr(b'.', text.as_bytes()).is_none() || !text.has_digits(4) {
            return;
        }
        // A dotted quad holds dots: runs without one cannot parse.
        for (start, end) in runs_with(text, is_ipv4_byte, b'.') {
            // A run must start at a digit: `.5` is a decimal.
            if text.as_bytes().get(start) == Some(&b'.') {
                continue;
            }
            let Some(end) = trim_trailing_dots(text, start, end) else {
                continue;
            };
            let Some(octets) = text.get(start..end).and_then(parse_ipv4) else {
                continue;
            };
            let glued = prev_char(text, start).is_some_and(is_word)
                || next_char(text, end).is_some_and(is_word);
            if glued || word_before(text, start, VERSION_WINDOW, &self.version_words) {
                continue;
            }
            if ipv4_scope(octets).reportable(self.report_private) {
                out.push(candidate(start, end, IPV4_ID, IP_SCORE, priority::GENERIC));
            }
        }
    }
}

/// A dotted quad of decimal octets without leading zeros (`010` is octal to
/// some parsers and a version part to most writers).
fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    // Bytes, not `str::split` and `parse`: every dotted number of a text
    // comes here, and those cost ~90 instructions per part (callgrind).
    let mut octets = [0u8; 4];
    let mut parts = s.as_bytes().split(|&b| b == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        let (&first, _) = part.split_first()?;
        if part.len() > 3 || (first == b'0' && part.len() > 1) {
            return None;
        }
        let mut value = 0u16;
        for &b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u16::from(b - b'0');
        }
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

pub(super) struct Ipv6Detector {
    report_private: bool,
}

impl Ipv6Detector {
    pub(super) fn new(report_private: bool) -> Self {
        Ipv6Detector { report_private }
    }
}

impl Detector for Ipv6Detector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        if memchr::memchr(b':', text.as_bytes()).is_none() {
            return;
        }
        let bytes = text.as_bytes();
        for (run_start, run_end) in runs_with(text, is_ipv6_byte, b':') {
            let colons = bytes
                .get(run_start..run_end)
                .map_or(0, |r| r.iter().filter(|b| **b == b':').count());
            if colons < 2 {
                continue;
            }
            let Some((start, end)) = trim_ipv6_run(text, run_start, run_end) else {
                continue;
            };
            let glued = prev_char(text, start).is_some_and(is_word)
                || next_char(text, end).is_some_and(is_word);
            if glued {
                continue;
            }
            let Some(groups) = text.get(start..end).and_then(parse_ipv6) else {
                continue;
            };
            if ipv6_scope(groups).reportable(self.report_private) {
                out.push(candidate(start, end, IPV6_ID, IP_SCORE, priority::GENERIC));
            }
        }
    }
}

/// Drops what surrounds an address in prose: a `key:` colon before it, a
/// sentence dot or a lone colon after it.
fn trim_ipv6_run(text: &str, mut start: usize, end: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(start) == Some(&b':') && bytes.get(start + 1) != Some(&b':') {
        start += 1;
    }
    let mut end = trim_trailing_dots(text, start, end)?;
    if end >= start + 2 && bytes.get(end - 1) == Some(&b':') && bytes.get(end - 2) != Some(&b':') {
        end -= 1;
    }
    (end > start).then_some((start, end))
}

/// Strict IPv6 text form: eight groups of 1–4 hex digits, at most one `::`
/// standing for one or more zero groups, and optionally a dotted IPv4
/// address as the last 32 bits (`::ffff:84.17.52.193`).
fn parse_ipv6(s: &str) -> Option<[u16; 8]> {
    let (body, v4) = match s.rfind(':') {
        Some(i) if s.contains('.') => {
            let v4 = parse_ipv4(s.get(i + 1..)?)?;
            // Keep the colon when it is half of a `::` just before the IPv4.
            let body_end = if s.get(..i)?.ends_with(':') { i + 1 } else { i };
            (s.get(..body_end)?, Some(v4))
        }
        _ => (s, None),
    };
    let tail_groups = if v4.is_some() { 2 } else { 0 };
    let parse_side = |side: &str| -> Option<Vec<u16>> {
        if side.is_empty() {
            return Some(Vec::new());
        }
        side.split(':')
            .map(|g| {
                let ok = (1..=4).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit());
                ok.then(|| u16::from_str_radix(g, 16).ok()).flatten()
            })
            .collect()
    };
    let (head, tail, compressed) = match body.split_once("::") {
        Some((left, right)) => {
            if right.contains("::") {
                return None;
            }
            (parse_side(left)?, parse_side(right)?, true)
        }
        None => (parse_side(body)?, Vec::new(), false),
    };
    let explicit = head.len() + tail.len() + tail_groups;
    let fits = if compressed {
        explicit <= 7
    } else {
        explicit == 8
    };
    if !fits {
        return None;
    }
    let mut groups = [0u16; 8];
    for (slot, value) in groups.iter_mut().zip(&head) {
        *slot = *value;
    }
    let tail_start = 8 - tail.len() - tail_groups;
    for (slot, value) in groups.iter_mut().skip(tail_start).zip(&tail) {
        *slot = *value;
    }
    if let Some([a, b, c, d]) = v4 {
        groups[6] = u16::from_be_bytes([a, b]);
        groups[7] = u16::from_be_bytes([c, d]);
    }
    Some(groups)
}

pub(super) struct MacDetector {
    regex: Regex,
}

impl MacDetector {
    pub(super) fn new() -> Result<Self, ConfigError> {
        let regex = compile(
            r"(?i)(?-u:\b)(?:(?:[0-9a-f]{2}:){5}[0-9a-f]{2}|(?:[0-9a-f]{2}-){5}[0-9a-f]{2}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?-u:\b)",
            &builtin_path(MAC_ID),
        )?;
        Ok(MacDetector { regex })
    }
}

impl Detector for MacDetector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        // Only the runs of MAC bytes around each whole shape are searched.
        let shapes = mac_shapes(text.as_bytes()).map(|at| (at, at + 1));
        find_near(&self.regex, text, is_mac_byte, shapes, |m| {
            if mac_ok(text, m.start(), m.end()) {
                out.push(candidate(
                    m.start(),
                    m.end(),
                    MAC_ID,
                    MAC_SCORE,
                    priority::GENERIC,
                ));
            }
        });
    }
}

/// Where `bytes` holds one of the three MAC forms whole: six hex pairs
/// joined by five of the same `:` or `-` (`aa:bb:cc:dd:ee:ff`), or three hex
/// quads joined by two dots (`aabb.ccdd.eeff`); each at its first hex byte.
/// Every match of the regex is one, so texts without (nearly all, even with
/// dates and SSNs) skip the regex, and the others run it only around these
/// places. A form is 14 MAC bytes or more in a row: [`long_runs`] jumps
/// to such runs (prose has none, and is read a few bytes per word), and
/// only their separators are tried.
fn mac_shapes(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    long_runs(bytes, MIN_MAC_LEN, is_mac_byte)
        .flat_map(move |(start, end)| (start..end).filter_map(move |i| mac_shape_at(bytes, i)))
}

/// The shortest MAC form (`aabb.ccdd.eeff`).
const MIN_MAC_LEN: usize = 14;

/// The start of the MAC form whose first separator is at `i`, if one is.
fn mac_shape_at(bytes: &[u8], i: usize) -> Option<usize> {
    let hex = |at: usize, len: usize| {
        bytes
            .get(at..at.saturating_add(len))
            .is_some_and(|run| run.iter().all(u8::is_ascii_hexdigit))
    };
    let sep = bytes.get(i)?;
    let (group, groups) = match sep {
        b'.' => (4, 3),
        b':' | b'-' => (2, 6),
        _ => return None,
    };
    let whole = hex(i.wrapping_sub(group), group)
        && (1..groups).all(|k| {
            let at = i + (group + 1) * (k - 1);
            bytes.get(at) == Some(sep) && hex(at + 1, group)
        });
    whole.then(|| i.saturating_sub(group))
}

/// The bytes a MAC address is written with.
fn is_mac_byte(b: u8) -> bool {
    const MAC_BYTES: [bool; 256] =
        byte_table!(b => b.is_ascii_hexdigit() || matches!(b, b':' | b'-' | b'.'));
    MAC_BYTES[usize::from(b)]
}

fn mac_ok(text: &str, start: usize, end: usize) -> bool {
    let Some(mac) = text.get(start..end) else {
        return false;
    };
    // Part of a longer colon, dash or dotted run (an IPv6 address, a
    // fingerprint, a longer id).
    let joined = |c: char| matches!(c, ':' | '-' | '.');
    let before_ok = prev_char(text, start).is_none_or(|c| !is_word(c) && !joined(c));
    let after_ok = match next_char(text, end) {
        None => true,
        Some(':' | '-') => false,
        Some('.') => !next_char(text, end + 1).is_some_and(is_word),
        Some(c) => !is_word(c),
    };
    let hex: Vec<u8> = mac.bytes().filter(u8::is_ascii_hexdigit).collect();
    let all_zero = hex.iter().all(|b| *b == b'0');
    let broadcast = hex.iter().all(|b| b.eq_ignore_ascii_case(&b'f'));
    let colon_form = mac.contains(':');
    let has_letter = hex.iter().any(u8::is_ascii_alphabetic);
    before_ok && after_ok && !all_zero && !broadcast && (colon_form || has_letter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// MAC-shaped text: hex pairs and quads joined by every separator.
    fn mac_texts() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[0-9a-fA-F]{1,4}",
            "([0-9a-f]{2}[:-]){5}[0-9a-f]{2}",
            "[0-9a-f]{4}\\.[0-9A-F]{4}\\.[0-9a-f]{4}",
            "[:.-]",
            "[ g_é]",
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// Searching around the shapes finds what the whole-text search
        /// finds: every match starts at a shape, in a run of MAC bytes.
        #[test]
        fn the_shapes_lead_to_every_match(text in mac_texts()) {
            let detector = MacDetector::new().unwrap();
            let whole: Vec<(usize, usize)> =
                detector.regex.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            // What makes the runs exact: every match is made of MAC bytes.
            for &(start, end) in &whole {
                prop_assert!(text.as_bytes()[start..end].iter().all(|&b| is_mac_byte(b)));
            }
            let mut near = Vec::new();
            let shapes = mac_shapes(text.as_bytes()).map(|at| (at, at + 1));
            find_near(&detector.regex, &text, is_mac_byte, shapes, |m| {
                near.push((m.start(), m.end()));
            });
            prop_assert_eq!(near, whole, "{:?}", text);
        }
    }

    #[test]
    fn mac_shape_gate() {
        let shapes = |text: &str| mac_shapes(text.as_bytes()).collect::<Vec<_>>();
        assert_eq!(shapes("x 00-1A-2b-3c-4d-5e, 0123.4567.89ab"), vec![2, 21]);
        for text in [
            "aa:bb:cc:dd:ee:ff",
            "x 00-1A-2b-3c-4d-5e.",
            "0123.4567.89ab",
        ] {
            assert!(mac_shapes(text.as_bytes()).next().is_some(), "{text}");
        }
        for text in [
            "a:b:c",
            "12-34",
            "1.2.3.4",
            "see e.g. the man-page: ok",
            "",
            "SSN 536-22-1847",
            "aa:bb:cc:dd:ee",
            "aa:bb-cc:dd:ee:ff",
            "0123.4567.89a",
        ] {
            assert_eq!(mac_shapes(text.as_bytes()).next(), None, "{text}");
        }
    }

    proptest! {
        /// Jumping between needles finds exactly the runs that hold one.
        #[test]
        fn runs_with_is_runs_holding_the_needle(text in "[0-9a-f:. xz\\-]{0,40}") {
            for (member, needle) in [(is_ipv4_byte as fn(u8) -> bool, b'.'), (is_ipv6_byte, b':')] {
                let want: Vec<_> = runs(text.as_bytes(), member)
                    .filter(|&(s, e)| text.as_bytes()[s..e].contains(&needle))
                    .collect();
                let got: Vec<_> = runs_with(&text, member, needle).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    fn found(detector: &dyn Detector, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detector.detect(text, &mut out);
        out.iter()
            .map(|c| text[c.start..c.end].to_string())
            .collect()
    }

    #[test]
    fn parses_ipv4_strictly() {
        assert_eq!(parse_ipv4("84.17.52.193"), Some([84, 17, 52, 193]));
        assert_eq!(parse_ipv4("0.0.0.0"), Some([0, 0, 0, 0]));
        for bad in [
            "84.17.52",
            "84.17.52.193.1",
            "84.17.052.193",
            "256.1.1.1",
            "1..2.3",
            "1.2.3.4a",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{bad}");
        }
    }

    proptest! {
        /// The byte parser reads as `split('.')` and `u8::from_str` do,
        /// with the leading-zero rule.
        #[test]
        fn parses_ipv4_as_the_str_reading(s in "[0-9.a]{0,16}|([0-9]{1,4}\\.){3}[0-9]{1,4}") {
            let by_str = || -> Option<[u8; 4]> {
                let mut octets = [0u8; 4];
                let mut parts = s.split('.');
                for octet in &mut octets {
                    let part = parts.next()?;
                    let valid = !part.is_empty()
                        && part.len() <= 3
                        && part.bytes().all(|b| b.is_ascii_digit())
                        && (part == "0" || !part.starts_with('0'));
                    if !valid {
                        return None;
                    }
                    *octet = part.parse().ok()?;
                }
                parts.next().is_none().then_some(octets)
            };
            prop_assert_eq!(parse_ipv4(&s), by_str());
        }
    }

    #[test]
    fn parses_ipv6_forms() {
        let cases: &[(&str, [u16; 8])] = &[
            (
                "2a01:4f8:c17:3b2e::1d4",
                [0x2a01, 0x4f8, 0xc17, 0x3b2e, 0, 0, 0, 0x1d4],
            ),
            (
                "2a01:04f8:0c17:3b2e:0000:0000:0000:01d4",
                [0x2a01, 0x4f8, 0xc17, 0x3b2e, 0, 0, 0, 0x1d4],
            ),
            ("::1", [0, 0, 0, 0, 0, 0, 0, 1]),
            ("::", [0; 8]),
            ("fe80::", [0xfe80, 0, 0, 0, 0, 0, 0, 0]),
            (
                "::ffff:84.17.52.193",
                [0, 0, 0, 0, 0, 0xffff, 0x5411, 0x34c1],
            ),
            (
                "64:ff9b::84.17.52.193",
                [0x64, 0xff9b, 0, 0, 0, 0, 0x5411, 0x34c1],
            ),
            (
                "1:2:3:4:5:6:84.17.52.193",
                [1, 2, 3, 4, 5, 6, 0x5411, 0x34c1],
            ),
            ("2A01:4F8::1", [0x2a01, 0x4f8, 0, 0, 0, 0, 0, 1]),
        ];
        for (text, want) in cases {
            assert_eq!(parse_ipv6(text), Some(*want), "{text}");
        }
        for bad in [
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "12345::1",
            "1:2:3:4:5:6:7::8",
            "3c:22:fb:91:0e:7a",
            "10:30:45",
            "::ffff:84.17.052.193",
            ":::1",
            "g::1",
        ] {
            assert_eq!(parse_ipv6(bad), None, "{bad}");
        }
    }

    #[test]
    fn ipv4_in_text() {
        let d = Ipv4Detector::new(false);
        let cases: &[(&str, &[&str])] = &[
            ("client 84.17.52.193 connected", &["84.17.52.193"]),
            ("hosts 8.8.4.4 and 1.1.1.1", &["8.8.4.4", "1.1.1.1"]),
            ("from 84.17.52.193.", &["84.17.52.193"]),
            ("peer=84.17.52.193:443", &["84.17.52.193"]),
            ("[84.17.52.193]", &["84.17.52.193"]),
            ("ip,host\n84.17.52.193,web", &["84.17.52.193"]),
            ("v1.2.3.4 and 1.2.3.4.5 and version 5.6.7.8", &[]),
            ("01.2.3.4 and 84.17.052.193 and 256.1.2.3", &[]),
            ("lan 192.168.1.20 and 10.0.0.7 and 127.0.0.1", &[]),
            ("docs 192.0.2.44 and 203.0.113.9", &[]),
            ("mask 255.255.255.0 and 0.0.0.0", &[]),
            ("193.17.52.84.in-addr.arpa", &[]),
            ("pi 3.14159 and 1.5.2024", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&d, text), *want, "{text}");
        }
        let private = Ipv4Detector::new(true);
        assert_eq!(
            found(
                &private,
                "lan 192.168.1.20, docs 192.0.2.44, mask 255.255.255.0"
            ),
            ["192.168.1.20", "192.0.2.44"]
        );
    }

    #[test]
    fn ipv6_in_text() {
        let d = Ipv6Detector::new(false);
        let cases: &[(&str, &[&str])] = &[
            (
                "addr 2a01:4f8:c17:3b2e::1d4 up",
                &["2a01:4f8:c17:3b2e::1d4"],
            ),
            ("http://[2a01:4f8::1]:8080/", &["2a01:4f8::1"]),
            ("ip:2a01:4f8::1.", &["2a01:4f8::1"]),
            ("mapped ::ffff:84.17.52.193", &["::ffff:84.17.52.193"]),
            ("lo ::1 and fe80::1%eth0 and fd12:3456::1", &[]),
            ("doc 2001:db8::1", &[]),
            ("std::vector and a::b and Foo::bar", &[]),
            ("at 10:30:45 and 12:00", &[]),
            ("mac 3c:22:fb:91:0e:7a", &[]),
            ("dead::beef", &[]),
            ("x2a01:4f8::1", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&d, text), *want, "{text}");
        }
        let private = Ipv6Detector::new(true);
        assert_eq!(
            found(&private, "lo ::1 and fe80::1%eth0 and doc 2001:db8::1, ::"),
            ["::1", "fe80::1", "2001:db8::1"]
        );
    }

    #[test]
    fn mac_addresses() {
        let d = MacDetector::new().unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("hw 3c:22:fb:91:0e:7a.", &["3c:22:fb:91:0e:7a"]),
            ("HW 3C-22-FB-91-0E-7A", &["3C-22-FB-91-0E-7A"]),
            ("cisco 3c22.fb91.0e7a", &["3c22.fb91.0e7a"]),
            ("12:34:56:78:90:12", &["12:34:56:78:90:12"]),
            ("00:00:00:00:00:00 ff:ff:ff:ff:ff:ff FF-FF-FF-FF-FF-FF", &[]),
            ("12-34-56-78-90-12 and 1234.5678.9012", &[]),
            ("fp 3c:22:fb:91:0e:7a:11:22", &[]),
            ("x3c:22:fb:91:0e:7a", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&d, text), *want, "{text}");
        }
    }
}
