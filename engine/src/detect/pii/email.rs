// SPDX-License-Identifier: Apache-2.0
//! Email addresses: a practical local part and a domain that ends in a real
//! top-level-domain shape. Mentions (`@handle`), package specifiers
//! (`lodash@4.17.21`), retina image names (`logo@2x.png`) and SSH remotes
//! (`git@github.com:org/repo`) have the `@` but are not addresses.

use super::bounds::{next_char, prev_char};
use super::{builtin_path, candidate};
use crate::detect::pattern::{LazyRegex, compile};
use crate::detect::text::Text;
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use crate::swar::byte_table;

pub(super) const ID: &str = "email";
const SCORE: f64 = 0.95;

/// Longest local part and domain allowed by RFC 5321.
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

/// File extensions that are not top-level domains but follow `@` in asset
/// names such as `icon@2x.png`; sorted, for a binary search (every
/// address's TLD is looked up: a walk of the list was a fifth of the email
/// detector on changelogs, callgrind).
const FILE_EXTENSIONS: &[&str] = &[
    "avif", "bmp", "cjs", "css", "gif", "heic", "heif", "htm", "html", "ico", "jpeg", "jpg", "js",
    "json", "jsx", "lock", "map", "mjs", "mp3", "mp4", "pdf", "png", "scss", "svg", "tif", "tiff",
    "toml", "ts", "tsx", "ttf", "txt", "wav", "webm", "webp", "woff", "woff2", "xml", "yaml",
    "yml",
];
/// The longest of [`FILE_EXTENSIONS`].
const LONGEST_EXTENSION: usize = 5;

pub(super) struct EmailDetector {
    /// What [`ascii_address_spans`] reads by hand; run only where it
    /// cannot (non-ASCII next to an address), so compiled on first use.
    regex: LazyRegex,
}

impl EmailDetector {
    pub(super) fn new() -> Result<Self, ConfigError> {
        // Local part: dot-separated atoms of letters, digits and `_%+'-`
        // (the practical subset; quoted local parts are not supported).
        // Domain: dot-separated labels; the last one is checked in code.
        let regex = LazyRegex::new(
            r"[\p{L}\p{N}_%+'-]+(?:\.[\p{L}\p{N}_%+'-]+)*@(?:[\p{L}\p{N}-]+\.)+[\p{L}\p{N}-]+"
                .to_owned(),
            builtin_path(ID),
            compile,
        );
        Ok(EmailDetector { regex })
    }
}

impl Detector for EmailDetector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        // memchr: SIMD in wasm too, where `str::contains(char)` reads a
        // 32-bit word at a time.
        if memchr::memchr(b'@', text.as_bytes()).is_none() {
            return;
        }
        let spans = ascii_address_spans(text.as_bytes()).unwrap_or_else(|| {
            self.regex.get().map_or_else(Vec::new, |regex| {
                regex
                    .find_iter(text)
                    .map(|m| (m.start(), m.end()))
                    .collect()
            })
        });
        for (start, end) in spans {
            // A leading quote or sign belongs to the surrounding text.
            let found = text.get(start..end).unwrap_or_default();
            let trimmed = found.trim_start_matches(['\'', '+', '-', '%']);
            let start = end - trimmed.len();
            if is_email(text, start, end) {
                out.push(candidate(start, end, ID, SCORE, priority::GENERIC));
            }
        }
    }
}

/// A local part's ASCII chars in the regex (`[\p{L}\p{N}_%+'-]`).
const LOCAL: [bool; 256] =
    byte_table!(b => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'+' | b'\'' | b'-'));
/// A domain label's ASCII chars in the regex (`[\p{L}\p{N}-]`).
const DOMAIN: [bool; 256] = byte_table!(b => b.is_ascii_alphanumeric() || b == b'-');

/// A char whose class only the regex knows: the regex's letters are
/// `\p{L}`, which `char::is_alphabetic` is not (it adds marks and
/// symbols such as `ⓐ`).
struct NotAscii;

/// The matches of the address regex in `bytes` (leftmost first, without
/// overlap, as `find_iter` gives them), read around each `@` instead: the
/// regex crate's search for this pattern (a reverse search from each `@`,
/// then a forward one, through lazy DFAs of its Unicode classes) was most
/// of the detector, and changelogs hold an address every few lines.
/// `None` when a non-ASCII char borders a local part or a label: then the
/// regex decides.
fn ascii_address_spans(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut spans = Vec::new();
    // Where the regex's next search starts: the end of its last match.
    let mut from = 0;
    for at in memchr::memchr_iter(b'@', bytes) {
        let Some(start) = local_start(bytes, at, from).ok()? else {
            continue;
        };
        let Some(end) = domain_end(bytes, at + 1).ok()? else {
            continue;
        };
        spans.push((start, end));
        from = end;
    }
    Some(spans)
}

/// The first place at or after `from` where `L+(\.L+)*` runs up to the
/// `@` at `at` (`L`: [`LOCAL`]): every later start in that chain ends at
/// the same `@`, and no chain crosses an `@`.
fn local_start(bytes: &[u8], at: usize, from: usize) -> Result<Option<usize>, NotAscii> {
    let class = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut start = None;
    let mut end = at;
    loop {
        let mut i = end;
        while i > from && LOCAL[usize::from(class(i - 1))] {
            i -= 1;
        }
        if i > from && class(i - 1) >= 0x80 {
            return Err(NotAscii);
        }
        if i == end {
            return Ok(start);
        }
        start = Some(i);
        // `a.b`: a dot with a local char before it joins another run.
        if i >= from + 2 && class(i - 1) == b'.' {
            match class(i - 2) {
                b if LOCAL[usize::from(b)] => end = i - 1,
                0x80.. => return Err(NotAscii),
                _ => return Ok(start),
            }
        } else {
            return Ok(start);
        }
    }
}

/// Where `(D+\.)+D+` (`D`: [`DOMAIN`]) matching from `from` ends, greedily:
/// at the last label of the longest run of labels joined by single dots;
/// `None` for fewer than two labels.
fn domain_end(bytes: &[u8], from: usize) -> Result<Option<usize>, NotAscii> {
    let run_end = |mut i: usize| {
        while bytes.get(i).is_some_and(|&b| DOMAIN[usize::from(b)]) {
            i += 1;
        }
        match bytes.get(i) {
            Some(0x80..) => Err(NotAscii),
            _ => Ok(i),
        }
    };
    let mut end = run_end(from)?;
    if end == from {
        return Ok(None);
    }
    let mut labels = 1;
    while bytes.get(end) == Some(&b'.') {
        let next = run_end(end + 1)?;
        if next == end + 1 {
            break;
        }
        end = next;
        labels += 1;
    }
    Ok((labels >= 2).then_some(end))
}

/// Checks a regex match `start..end` of `text` beyond its shape.
fn is_email(text: &str, start: usize, end: usize) -> bool {
    let Some((local, domain)) = text.get(start..end).and_then(|m| m.split_once('@')) else {
        return false;
    };
    if local.is_empty() || local.len() > MAX_LOCAL || domain.len() > MAX_DOMAIN {
        return false;
    }
    if !domain_ok(domain) {
        return false;
    }
    // `@@x`, `a@b@c.com`: not one address.
    if prev_char(text, start) == Some('@') {
        return false;
    }
    // The userinfo of a URL (`ssh://git@host/…`, `https://user:pass@host`)
    // is not an email: look back over the token for `scheme://`.
    if text.get(..start).is_some_and(|before| {
        let token_start = before
            .rfind(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '(' | '['))
            .map_or(0, |i| i + 1);
        before.get(token_start..).is_some_and(|t| t.contains("://"))
    }) {
        return false;
    }
    match next_char(text, end) {
        None => true,
        // `git@github.com:org/repo.git`, `user@host:22`: a user at a host.
        Some(':') => next_char(text, end + 1).is_none_or(char::is_whitespace),
        Some(c) => !(c.is_alphanumeric() || matches!(c, '_' | '-' | '@')),
    }
}

/// Labels of 1–63 characters without edge hyphens, a TLD of 2–63 letters
/// (or punycode `xn--…`), and not a version (`1.2.3-beta.rc`) or an asset
/// name (`2x.png`).
fn domain_ok(domain: &str) -> bool {
    // One pass over the labels, nothing allocated: every address in a
    // text comes here (a changelog holds one every few lines).
    let label_ok = |l: &str| {
        !l.is_empty() && l.chars().count() <= 63 && !l.starts_with('-') && !l.ends_with('-')
    };
    let numeric = |l: &str| l.bytes().all(|b| b.is_ascii_digit());
    let mut labels = domain.split('.');
    let (Some(first), Some(second)) = (labels.next(), labels.next()) else {
        return false;
    };
    if !label_ok(first) || !label_ok(second) || labels.clone().any(|l| !label_ok(l)) {
        return false;
    }
    let tld = labels.next_back().unwrap_or(second);
    let tld_len = tld.chars().count();
    let tld_ok = (tld.starts_with("xn--") && tld.is_ascii())
        || ((2..=63).contains(&tld_len) && tld.chars().all(char::is_alphabetic));
    if !tld_ok || is_file_extension(tld) {
        return false;
    }
    // `pkg@1.2.3-rc.beta`: two leading numeric labels are a version
    // (one, as in `163.com`, is a real mail domain).
    if numeric(first) && numeric(second) {
        return false;
    }
    // `icon@2x.png`, `sprite@1.5x.webp`: a display-density suffix.
    !first
        .strip_suffix(['x', 'X'])
        .is_some_and(|n| !n.is_empty() && numeric(n))
}

/// Whether `tld` is one of [`FILE_EXTENSIONS`], in any ASCII case.
fn is_file_extension(tld: &str) -> bool {
    let mut lowered = [0u8; LONGEST_EXTENSION];
    let Some(slot) = lowered.get_mut(..tld.len()) else {
        return false;
    };
    slot.copy_from_slice(tld.as_bytes());
    slot.make_ascii_lowercase();
    FILE_EXTENSIONS
        .binary_search_by(|ext| ext.as_bytes().cmp(slot))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The label checks as a list, as they were first written: the reference.
    fn domain_ok_by_list(domain: &str) -> bool {
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty() && l.chars().count() <= 63 && !l.starts_with('-') && !l.ends_with('-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return false;
        }
        let tld = labels[labels.len() - 1];
        let tld_len = tld.chars().count();
        let tld_ok = (tld.starts_with("xn--") && tld.is_ascii())
            || ((2..=63).contains(&tld_len) && tld.chars().all(char::is_alphabetic));
        if !tld_ok || FILE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str()) {
            return false;
        }
        let numeric = |l: &&str| l.bytes().all(|b| b.is_ascii_digit());
        if labels.iter().take(2).all(numeric) {
            return false;
        }
        !labels[0]
            .strip_suffix(['x', 'X'])
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }

    proptest::proptest! {
        #[test]
        fn domains_are_judged_as_by_the_list(
            labels in proptest::collection::vec(
                "([a-z0-9-]{0,5}|PNG|Js|2x|xn--p1ai|рф|1|WOFF2|Tiff|jpeg|mP4|woff22|)", 0..5),
        ) {
            let domain = labels.join(".");
            proptest::prop_assert_eq!(domain_ok(&domain), domain_ok_by_list(&domain), "{:?}", domain);
        }
    }

    #[test]
    fn file_extensions_are_found_in_any_case_and_nothing_else() {
        assert!(FILE_EXTENSIONS.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(
            FILE_EXTENSIONS.iter().map(|ext| ext.len()).max(),
            Some(LONGEST_EXTENSION)
        );
        for ext in FILE_EXTENSIONS {
            assert!(is_file_extension(ext), "{ext}");
            assert!(is_file_extension(&ext.to_ascii_uppercase()), "{ext}");
            assert!(!is_file_extension(&format!("{ext}q")), "{ext}q");
            assert!(!is_file_extension(&format!("q{ext}")), "q{ext}");
        }
        for other in ["com", "org", "", "p", "woff22", "рф", "jpég"] {
            assert!(!is_file_extension(other), "{other}");
        }
    }

    fn regex_spans(text: &str) -> Vec<(usize, usize)> {
        let d = EmailDetector::new().unwrap();
        d.regex
            .get()
            .unwrap()
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Read around each `@`, the regex's matches, whatever the local
        /// parts, dots, labels and their neighbours; non-ASCII next to an
        /// address leaves it to the regex.
        #[test]
        fn addresses_are_found_as_the_regex_finds_them(
            text in "([a-c0-9]{1,3}|[._%+'@-]|@|\\.|\\.\\.| |:|/|<|>|é|ⓐ|\u{301})*",
        ) {
            let spans = ascii_address_spans(text.as_bytes());
            match spans {
                Some(spans) => proptest::prop_assert_eq!(spans, regex_spans(&text), "{:?}", text),
                None => proptest::prop_assert!(!text.is_ascii()),
            }
        }
    }

    #[test]
    fn addresses_by_hand_and_by_regex_on_shapes() {
        for text in [
            "a@b.c",
            "x..a@b.c d@e",
            "a@b@c.d",
            "a@b.c.d@e.f g@h.i",
            "@a@b.cc",
            "a.@b.c",
            "a@b..c.d",
            "a@b.c.",
            "'-a+b%c_d'@x-y.z-",
            "jane.doe@example.com, <ops@mail.example.co.uk>",
        ] {
            assert_eq!(
                ascii_address_spans(text.as_bytes()),
                Some(regex_spans(text)),
                "{text}"
            );
        }
        for text in ["é@b.c", "a@bé.c", "a@b.é", "éa.b@c.d", "aé@b.c"] {
            assert_eq!(ascii_address_spans(text.as_bytes()), None, "{text}");
        }
        // Far from the addresses, non-ASCII changes nothing.
        assert_eq!(
            ascii_address_spans("Жанна: a@b.cd".as_bytes()),
            Some(regex_spans("Жанна: a@b.cd"))
        );
    }

    fn found(text: &str) -> Vec<&str> {
        let d = EmailDetector::new().unwrap();
        let mut out = Vec::new();
        d.detect(text, &mut out);
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn finds_practical_addresses() {
        let cases: &[(&str, &[&str])] = &[
            ("mail jane.doe@example.com today", &["jane.doe@example.com"]),
            (
                "<o'brien+news@mail.example.co.uk>",
                &["o'brien+news@mail.example.co.uk"],
            ),
            ("'quoted@example.org'", &["quoted@example.org"]),
            ("reach 163user@163.com.", &["163user@163.com"]),
            (
                "mailto:ops-team@example.io?subject=hi",
                &["ops-team@example.io"],
            ),
            ("иван@пример.рф пишите", &["иван@пример.рф"]),
            (
                "punycode a@xn--e1afmkfd.xn--p1ai",
                &["a@xn--e1afmkfd.xn--p1ai"],
            ),
            (
                "Email me at bob@example.com: free after 5",
                &["bob@example.com"],
            ),
            (
                "a@b.example.com,c@d.example.net",
                &["a@b.example.com", "c@d.example.net"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    #[test]
    fn rejects_look_alikes() {
        for text in [
            "ping @jane.doe on slack",
            "root@localhost",
            "see icon@2x.png and bg@1.5x.webp",
            "npm i lodash@4.17.21 @babel/core@7.24.0",
            "pin react-dom@18.2.0-rc.1",
            "git clone git@github.com:acme/repo.git",
            "ssh://git@gitlab.example.com/acme/repo.git",
            "https://deploy:Tq8vN3xLm2Pz@git.internal.test/team/app.git",
            "user@example.c0m",
            "a@b@c",
            "x@-bad-.com",
            "version@1.2.3.beta",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
