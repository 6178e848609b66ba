// SPDX-License-Identifier: Apache-2.0
//! Corporate markers from config: internal host names, project codes and
//! code words. Nothing is built (nor run) for a list left empty.
//!
//! Host globs: `git.example.com` matches that host only; `*.internal.corp`
//! matches any host below `internal.corp`, at any depth, and
//! `internal.corp` itself (the bare suffix names the same organisation).
//! A host is matched whole, so `internal.corp.evil.com` and `xinternal.corp`
//! do not match. Hosts are found as dotted names anywhere: plain text, URLs,
//! e-mail addresses.
//!
//! Keywords are matched in one Aho-Corasick pass, whole words only, on a
//! per-char *skeleton* (see [`skeleton`]): any case in any script
//! (`Проект`, `ПРОЕКТ`, `проект`), and look-alikes mixed in (`Bluеbird` with
//! a Cyrillic `е`, `прoект` with a Latin `o`) still match. Case mappings that
//! expand (`ß` ↔ `SS`) are not folded. ASCII text is searched in place; other
//! text costs one skeleton copy per scan.

use super::catalog::TypeInfo;
use super::normalize::{Normalized, fold_homoglyph};
use super::rare::RareBytes;
use super::{Candidate, Detector, pattern, priority};
use crate::config::DetectorsConfig;
use crate::detect::prefilter::LiteralRegistry;
use crate::detect::text::Text;
use crate::error::ConfigError;
use crate::finding::Category;
use crate::swar;
use crate::swar::byte_table;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use std::borrow::Cow;
use std::collections::HashSet;

const INTERNAL_DOMAIN: &str = "internal_domain";
const PROJECT_CODE: &str = "project_code";
const KEYWORD: &str = "keyword";

const DOMAIN_SCORE: f64 = 0.9;
const PROJECT_CODE_SCORE: f64 = 0.8;
const KEYWORD_SCORE: f64 = 0.8;

/// Longest host name DNS allows.
const MAX_HOST_LEN: usize = 253;
/// Longest label DNS allows.
const MAX_LABEL_LEN: usize = 63;

pub(crate) fn types() -> Vec<TypeInfo> {
    vec![
        TypeInfo {
            id: INTERNAL_DOMAIN,
            category: Category::Corporate,
            validator: "glob",
            example: "git.internal.corp",
        },
        TypeInfo {
            id: PROJECT_CODE,
            category: Category::Corporate,
            validator: "pattern",
            example: "PRJ-2041",
        },
        TypeInfo {
            id: KEYWORD,
            category: Category::Corporate,
            validator: "word",
            example: "Bluebird",
        },
    ]
}

pub(crate) fn build(
    cfg: &DetectorsConfig,
    registry: &mut LiteralRegistry,
) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    let corp = &cfg.corporate;
    let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
    if !corp.internal_domains.is_empty() {
        detectors.push(Box::new(InternalDomains::new(
            &corp.internal_domains,
            registry,
        )?));
    }
    if !corp.project_codes.is_empty() {
        detectors.push(Box::new(ProjectCodes::new(&corp.project_codes)?));
    }
    if !corp.keywords.is_empty() {
        detectors.push(Box::new(Keywords::new(&corp.keywords)?));
    }
    Ok(detectors)
}

/// Internal host names, matched whole against exact names and `*.` suffixes.
struct InternalDomains {
    exact: HashSet<String>,
    /// `internal.corp` for the glob `*.internal.corp`.
    suffixes: HashSet<String>,
    /// The last label of every name and suffix (`corp`): a dotted name
    /// ending otherwise (`main.rs`, `1.2.3`) is not looked up at all.
    last_labels: Vec<String>,
    /// `.corp` for each last label, by id in the scanner's shared walk: a
    /// name that can match holds one where its last label starts.
    dotted_last_labels: Vec<u32>,
}

impl InternalDomains {
    fn new(globs: &[String], registry: &mut LiteralRegistry) -> Result<Self, ConfigError> {
        let mut exact = HashSet::new();
        let mut suffixes = HashSet::new();
        for (i, glob) in globs.iter().enumerate() {
            let path = format!("detectors.corporate.internal_domains[{i}]");
            let glob = glob.to_ascii_lowercase();
            match glob.strip_prefix("*.") {
                Some(suffix) => {
                    check_host(suffix, &path)?;
                    suffixes.insert(suffix.to_string());
                }
                None => {
                    check_host(&glob, &path)?;
                    if !glob.contains('.') {
                        return Err(ConfigError::new(
                            path,
                            format!(
                                "{glob:?} has one label and would match the plain word; \
                                 list it under keywords, or write \"*.{glob}\" for hosts below it"
                            ),
                        ));
                    }
                    exact.insert(glob);
                }
            }
        }
        let mut last_labels: Vec<String> = Vec::new();
        for name in exact.iter().chain(&suffixes) {
            let last = last_label(name);
            if !last_labels.iter().any(|l| l == last) {
                last_labels.push(last.to_string());
            }
        }
        Ok(InternalDomains {
            exact,
            suffixes,
            dotted_last_labels: last_labels
                .iter()
                .map(|label| registry.id(&format!(".{label}")))
                .collect(),
            last_labels,
        })
    }

    fn is_internal(&self, host: &str) -> bool {
        let last = last_label(host);
        if !self.last_labels.iter().any(|l| l == last) {
            return false;
        }
        self.exact.contains(host)
            || self.suffixes.contains(host)
            || host
                .match_indices('.')
                .any(|(i, _)| host.get(i + 1..).is_some_and(|s| self.suffixes.contains(s)))
    }
}

/// Checks a host name (or the suffix of a `*.` glob): ASCII labels of
/// `a-z`, `0-9` and inner `-`.
fn check_host(host: &str, path: &str) -> Result<(), ConfigError> {
    let fail = |why: &str| Err(ConfigError::new(path, format!("{host:?}: {why}")));
    if host.contains('*') {
        return fail("only a leading \"*.\" wildcard is allowed");
    }
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return fail("a host name has 1 to 253 characters");
    }
    for label in host.split('.') {
        if label.is_empty() || label.len() > MAX_LABEL_LEN {
            return fail("every label needs 1 to 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return fail("labels hold only a-z, 0-9 and '-' (use the xn-- form of a Unicode name)");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return fail("a label cannot start or end with '-'");
        }
    }
    Ok(())
}

/// A byte of a host label.
fn is_label_byte(b: u8) -> bool {
    const LABEL: [bool; 256] = byte_table!(b => b.is_ascii_alphanumeric() || b == b'-');
    LABEL[usize::from(b)]
}

/// Every dotted name in `text` from `from` on: labels of `[A-Za-z0-9-]`
/// joined by single dots, at least two, as byte ranges, left to right; the
/// matches of `[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+` (searched from `from`).
/// Names are found from their dots (`memchr`), so text without dots costs
/// one fast pass. Searched from the end of one of its names, or from a byte
/// after one that is neither a label byte nor a dot, it finds the whole
/// text's names from there on: no name holds such a byte.
fn dotted_names(text: &str, from: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut from = from;
    std::iter::from_fn(move || {
        loop {
            let dot = from + memchr::memchr(b'.', bytes.get(from..)?)?;
            // The name's first label ends at this dot; it starts where the
            // label bytes before it do.
            let start = bytes
                .get(..dot)
                .unwrap_or_default()
                .iter()
                .rposition(|&b| !is_label_byte(b))
                .map_or(0, |at| at + 1)
                .max(from);
            if start == dot {
                // No label before this dot; the next name starts after it.
                from = dot + 1;
                continue;
            }
            let mut end = dot;
            // Take `.label` while one follows.
            while bytes.get(end) == Some(&b'.') {
                let label = bytes
                    .get(end + 1..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&b| is_label_byte(b))
                    .count();
                if label == 0 {
                    break;
                }
                end += 1 + label;
            }
            from = end.max(dot + 1);
            if end > dot {
                return Some((start, end));
            }
        }
    })
}

/// The label after a name's last dot (the whole name without one): a
/// `memrchr`, where `rsplit('.')` cost ~180 instructions per dotted name
/// of a text (callgrind).
fn last_label(name: &str) -> &str {
    match memchr::memrchr(b'.', name.as_bytes()) {
        Some(dot) => name.get(dot + 1..).unwrap_or_default(),
        None => name,
    }
}

impl Detector for InternalDomains {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        let mut lower = String::new();
        let mut judge = |(start, end)| self.judge(text, start, end, &mut lower, out);
        if !text.has_walk() {
            dotted_names(text, 0).for_each(judge);
            return;
        }
        // Only the names that hold a `.label` hit can end in that label:
        // each hit's name is searched for from the start of the run of
        // label bytes and dots around it (no earlier than the last name
        // judged), which every name holding the hit lies in.
        let bytes = text.as_bytes();
        let mut judged_to = 0;
        let hits = text.literal_hits().iter();
        for hit in hits.filter(|hit| self.dotted_last_labels.contains(&hit.literal)) {
            if hit.end <= judged_to {
                continue;
            }
            let mut from = hit.start;
            while from > judged_to
                && bytes
                    .get(from - 1)
                    .is_some_and(|&b| b == b'.' || is_label_byte(b))
            {
                from -= 1;
            }
            judged_to = text.len();
            for name in dotted_names(text, from) {
                judge(name);
                if name.1 >= hit.start {
                    judged_to = name.1;
                    break;
                }
            }
        }
    }
}

impl InternalDomains {
    /// Reports the dotted name at `m_start..m_end` if it is internal;
    /// `lower` is scratch space.
    fn judge(
        &self,
        text: &str,
        m_start: usize,
        m_end: usize,
        lower: &mut String,
        out: &mut Vec<Candidate>,
    ) {
        // A dash run at an edge is prose (`corp--the`), not part of the name.
        let name = text.get(m_start..m_end).unwrap_or_default();
        let trimmed = name.trim_start_matches('-');
        let start = m_start + (name.len() - trimmed.len());
        let trimmed = trimmed.trim_end_matches('-');
        let end = start + trimmed.len();
        // Most names end in no configured label: copied and lower-cased
        // only when one does.
        let last = last_label(trimmed);
        if !self
            .last_labels
            .iter()
            .any(|l| l.eq_ignore_ascii_case(last))
        {
            return;
        }
        lower.clear();
        lower.push_str(trimmed);
        lower.make_ascii_lowercase();
        if start < end && self.is_internal(lower) {
            out.push(candidate(start, end, INTERNAL_DOMAIN, DOMAIN_SCORE));
        }
    }
}

/// Project or ticket codes as operator regexes, on word boundaries.
struct ProjectCodes {
    patterns: Vec<Regex>,
}

impl ProjectCodes {
    fn new(patterns: &[String]) -> Result<Self, ConfigError> {
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| pattern::compile(p, &format!("detectors.corporate.project_codes[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProjectCodes { patterns })
    }
}

impl Detector for ProjectCodes {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        for regex in &self.patterns {
            for m in regex.find_iter(text) {
                if !m.is_empty() && !glued(text, m.start(), m.end()) {
                    out.push(candidate(
                        m.start(),
                        m.end(),
                        PROJECT_CODE,
                        PROJECT_CODE_SCORE,
                    ));
                }
            }
        }
    }
}

/// Code words, all in one automaton over the *skeleton* of the text.
struct Keywords {
    automaton: AhoCorasick,
    /// Where the automaton needs to look (`None`: everywhere).
    rare: Option<RareBytes>,
}

impl Keywords {
    fn new(keywords: &[String]) -> Result<Self, ConfigError> {
        let mut patterns: Vec<String> = Vec::new();
        for (i, keyword) in keywords.iter().enumerate() {
            // Keywords are searched in normalized text, so they are
            // normalized the same way first.
            let normalized = Normalized::new(keyword.trim()).text().to_string();
            if normalized.is_empty() {
                return Err(ConfigError::new(
                    format!("detectors.corporate.keywords[{i}]"),
                    "a keyword must not be empty",
                ));
            }
            let spelling = skeleton(&normalized);
            if !patterns.contains(&spelling) {
                patterns.push(spelling);
            }
        }
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|err| ConfigError::new("detectors.corporate.keywords", err.to_string()))?;
        Ok(Keywords {
            automaton,
            rare: RareBytes::new(&patterns),
        })
    }

    /// Every match in `haystack`, as the automaton's `find_iter` finds them.
    fn each_match(&self, haystack: &str, mut found: impl FnMut(usize, usize)) {
        let bytes = haystack.as_bytes();
        let Some(rare) = &self.rare else {
            for m in self.automaton.find_iter(bytes) {
                found(m.start(), m.end());
            }
            return;
        };
        for (start, end) in rare.windows(bytes) {
            for m in self
                .automaton
                .find_iter(bytes.get(start..end).unwrap_or_default())
            {
                found(start + m.start(), start + m.end());
            }
        }
    }

    fn report(&self, text: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
        if start < end && !glued(text, start, end) {
            out.push(candidate(start, end, KEYWORD, KEYWORD_SCORE));
        }
    }
}

impl Detector for Keywords {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        if text.is_ascii() {
            // The skeleton of ASCII is its lower case: the automaton's
            // ASCII case-insensitivity is enough, no copy needed.
            self.each_match(text, |start, end| self.report(text, start, end, out));
            return;
        }
        // The skeleton has one char per char of `text`; only chars whose
        // UTF-8 length changes shift offsets, so those are the only marks
        // kept to map a match back.
        let skeleton = MappedSkeleton::new(text);
        self.each_match(&skeleton.text, |start, end| {
            self.report(text, skeleton.to_text(start), skeleton.to_text(end), out);
        });
    }
}

/// [`skeleton`] of a text, with what is needed to map its offsets back.
/// ASCII is copied as it is: the automaton is ASCII case-insensitive, so
/// lower-casing it would not change a match, only cost a pass.
struct MappedSkeleton {
    text: String,
    /// `(skeleton byte, text byte)` just after each char whose skeleton has
    /// another UTF-8 length; between two marks, bytes correspond one to one.
    marks: Vec<(usize, usize)>,
    text_len: usize,
}

impl MappedSkeleton {
    fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut marks = Vec::new();
        let mut i = 0;
        while let Some(rest) = text.get(i..) {
            // Non-ASCII bytes have the high bit set: found eight at a time.
            let plain = swar::find(bytes, i, |w| w).map_or(rest.len(), |at| at - i);
            if plain > 0 {
                out.push_str(rest.get(..plain).unwrap_or(""));
                i += plain;
                continue;
            }
            let Some(c) = rest.chars().next() else {
                break;
            };
            let folded = skeleton_char(c);
            out.push(folded);
            i += c.len_utf8();
            if folded.len_utf8() != c.len_utf8() {
                marks.push((out.len(), i));
            }
        }
        MappedSkeleton {
            text: out,
            marks,
            text_len: text.len(),
        }
    }

    /// The text offset of skeleton offset `pos` (a char boundary).
    fn to_text(&self, pos: usize) -> usize {
        let after = self.marks.partition_point(|&(s, _)| s <= pos);
        let (s, t) = after
            .checked_sub(1)
            .and_then(|k| self.marks.get(k))
            .copied()
            .unwrap_or((0, 0));
        (t + pos.saturating_sub(s)).min(self.text_len)
    }
}

/// The form keywords are compared in: each char lower-cased and, when it is
/// a look-alike in either case, replaced by its Latin twin (`Т` and `т`
/// both become `t`), so a keyword matches in any case and any mix of
/// scripts. Always one char per char.
fn skeleton(s: &str) -> String {
    s.chars().map(skeleton_char).collect()
}

fn skeleton_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let lower = single(c.to_lowercase()).unwrap_or(c);
    let upper = single(c.to_uppercase()).unwrap_or(c);
    fold_homoglyph(lower)
        .or_else(|| fold_homoglyph(upper))
        .map_or(lower, |latin| latin.to_ascii_lowercase())
}

/// The only char of a case mapping; `None` when it expands (`ß` → `SS`).
fn single(mut chars: impl Iterator<Item = char>) -> Option<char> {
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// True when the match `start..end` is glued to a letter or digit: its first
/// char is alphanumeric and so is the char before it, or the same at the
/// end (the `\b` rule, for any script).
fn glued(text: &str, start: usize, end: usize) -> bool {
    let inside = text.get(start..end).unwrap_or("");
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    let alnum = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    (alnum(inside.chars().next()) && alnum(before))
        || (alnum(inside.chars().next_back()) && alnum(after))
}

fn candidate(start: usize, end: usize, kind: &'static str, score: f64) -> Candidate {
    Candidate {
        start,
        end,
        category: Category::Corporate,
        kind: Cow::Borrowed(kind),
        score,
        priority: priority::CORPORATE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CorporateConfig;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn last_label_is_what_follows_the_last_dot(name in "[a.é-]{0,12}") {
            prop_assert_eq!(last_label(&name), name.rsplit('.').next().unwrap_or(&name));
        }
    }

    proptest! {
        /// The mapped skeleton matches like [`skeleton`] (ASCII case aside)
        /// and maps every char boundary to the text char it came from.
        #[test]
        fn mapped_skeleton_maps_every_char_back(text in "[a-zA-Z0-9 İßΩТтеЕ😀ǅ]{0,24}") {
            let mapped = MappedSkeleton::new(&text);
            prop_assert_eq!(mapped.text.to_ascii_lowercase(), skeleton(&text));
            let pairs: Vec<(usize, usize)> = mapped
                .text
                .char_indices()
                .map(|(s, _)| s)
                .zip(text.char_indices().map(|(t, _)| t))
                .chain([(mapped.text.len(), text.len())])
                .collect();
            for (s, t) in pairs {
                prop_assert_eq!(mapped.to_text(s), t);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// With the shared walk, internal hosts are judged only around the
        /// `.label` hits: the same findings as judging every dotted name.
        #[test]
        fn walked_domains_are_found_as_by_every_name(parts in proptest::collection::vec(
            proptest::prop_oneof![
                Just("git"), Just("GIT"),
                Just("internal"), Just("InTernal"),
                Just("corp"), Just("CORP"),
                Just("co"), Just("example"),
                Just("com"), Just("db"),
                Just("."), Just(".."),
                Just("-"), Just("--"),
                Just(" "), Just("x1"),
                Just("é"), Just("/"),
                Just("@"),
            ],
            0..48,
        )) {
            static BUILT: std::sync::LazyLock<Built> = std::sync::LazyLock::new(|| {
                detectors(CorporateConfig {
                    internal_domains: strings(&["*.internal.corp", "git.example.com", "*.co", "db.corp"]),
                    ..CorporateConfig::default()
                })
            });
            let text = parts.concat();
            let (alone, walked) = alone_and_walked(&BUILT, &text);
            prop_assert_eq!(alone, walked, "{:?}", text);
        }
    }

    proptest! {
        /// Dotted names are the matches of the host regex they replace.
        #[test]
        fn dotted_names_are_the_regex_matches(text in "[a-zA-Z0-9.\\- _é/]{0,40}") {
            let regex = regex::Regex::new(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap();
            let want: Vec<(usize, usize)> =
                regex.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            prop_assert_eq!(dotted_names(&text, 0).collect::<Vec<_>>(), want);
        }
    }

    /// The detectors and their shared walk, as the scanner builds them.
    struct Built {
        detectors: Vec<Box<dyn Detector>>,
        walk: Option<crate::detect::literals::Literals>,
    }

    fn config(corporate: CorporateConfig) -> DetectorsConfig {
        DetectorsConfig {
            corporate,
            ..DetectorsConfig::default()
        }
    }

    fn detectors(corporate: CorporateConfig) -> Built {
        let mut registry = LiteralRegistry::default();
        let detectors = build(&config(corporate), &mut registry).unwrap();
        Built {
            detectors,
            walk: registry.build().unwrap(),
        }
    }

    fn build_error(corporate: CorporateConfig) -> ConfigError {
        build(&config(corporate), &mut LiteralRegistry::default())
            .err()
            .unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// `(kind, matched text)` of every raw hit, sorted by position.
    /// What the detectors find, each alone (no shared walk) and as the
    /// scanner runs them (with it).
    fn alone_and_walked(built: &Built, text: &str) -> (Vec<Candidate>, Vec<Candidate>) {
        let shared = Text::with_walk(text, built.walk.as_ref());
        let (mut alone, mut walked) = (Vec::new(), Vec::new());
        for d in &built.detectors {
            d.detect(text, &mut alone);
            d.detect_text(&shared, &mut walked);
        }
        (alone, walked)
    }

    /// Each detector alone and with the shared walk must find the same.
    fn hits(built: &Built, text: &str) -> Vec<(String, String)> {
        let (alone, mut out) = alone_and_walked(built, text);
        assert_eq!(
            alone, out,
            "{text:?}: the walk and the full search disagree"
        );
        out.sort_by_key(|c| c.start);
        out.into_iter()
            .map(|c| (c.kind.to_string(), text[c.start..c.end].to_string()))
            .collect()
    }

    fn domains(globs: &[&str]) -> Built {
        detectors(CorporateConfig {
            internal_domains: strings(globs),
            ..CorporateConfig::default()
        })
    }

    #[test]
    fn empty_lists_build_nothing() {
        let built = detectors(CorporateConfig::default());
        assert!(built.detectors.is_empty() && built.walk.is_none());
    }

    #[test]
    fn every_example_is_detected_with_a_matching_config() {
        let d = detectors(CorporateConfig {
            internal_domains: strings(&["*.internal.corp"]),
            project_codes: strings(&[r"PRJ-\d{4}"]),
            keywords: strings(&["bluebird"]),
        });
        for t in types() {
            let found = hits(&d, t.example);
            assert_eq!(
                found,
                [(t.id.to_string(), t.example.to_string())],
                "{}",
                t.id
            );
        }
    }

    #[test]
    fn wildcard_domains_match_whole_hosts_at_any_depth() {
        let d = domains(&["*.internal.corp", "git.example.com"]);
        let table: &[(&str, &[&str])] = &[
            ("see git.internal.corp now", &["git.internal.corp"]),
            (
                "https://a.b.c.internal.corp:8443/x",
                &["a.b.c.internal.corp"],
            ),
            ("mail alice@hr.internal.corp.", &["hr.internal.corp"]),
            ("GIT.Internal.CORP", &["GIT.Internal.CORP"]),
            ("bare internal.corp too", &["internal.corp"]),
            ("clone git.example.com/x", &["git.example.com"]),
            ("(-git.internal.corp-)", &["git.internal.corp"]),
            (
                "xn--bcher-kva.internal.corp",
                &["xn--bcher-kva.internal.corp"],
            ),
            // hard negatives
            ("internal.corp.evil.com", &[]),
            ("xinternal.corp", &[]),
            ("internal-corp and internal corp", &[]),
            ("a.git.example.com", &[]),
            ("example.com", &[]),
            ("git.example.community", &[]),
        ];
        for (text, want) in table {
            let found: Vec<String> = hits(&d, text).into_iter().map(|(_, s)| s).collect();
            assert_eq!(&found, want, "{text}");
        }
    }

    #[test]
    fn one_label_wildcard_never_matches_the_plain_word() {
        let d = domains(&["*.corp"]);
        assert_eq!(
            hits(&d, "x.corp"),
            [(INTERNAL_DOMAIN.into(), "x.corp".into())]
        );
        assert!(hits(&d, "the corp said").is_empty());
    }

    #[test]
    fn bad_globs_name_their_index() {
        for bad in [
            "*internal.corp",
            "git.*.corp",
            "*.",
            "a..b",
            "-a.corp",
            "a_b.corp",
            "пример.рф",
            "intranet",
            "has space.corp",
        ] {
            let err = build(
                &config(CorporateConfig {
                    internal_domains: strings(&["ok.corp", bad]),
                    ..CorporateConfig::default()
                }),
                &mut LiteralRegistry::default(),
            )
            .err()
            .unwrap_or_else(|| panic!("{bad:?} was accepted"));
            assert_eq!(err.path, "detectors.corporate.internal_domains[1]", "{bad}");
        }
    }

    #[test]
    fn project_codes_respect_word_boundaries() {
        let d = detectors(CorporateConfig {
            project_codes: strings(&[r"PRJ-\d{4}", r"#\d{3}"]),
            ..CorporateConfig::default()
        });
        let table: &[(&str, &[&str])] = &[
            ("see PRJ-1234.", &["PRJ-1234"]),
            ("(PRJ-1234)", &["PRJ-1234"]),
            ("ticket#123 done", &["#123"]),
            ("XPRJ-1234", &[]),
            ("PRJ-12345", &[]),
            ("ЯPRJ-1234", &[]),
        ];
        for (text, want) in table {
            let found: Vec<String> = hits(&d, text).into_iter().map(|(_, s)| s).collect();
            assert_eq!(&found, want, "{text}");
        }
    }

    #[test]
    fn bad_project_code_names_its_index() {
        let err = build_error(CorporateConfig {
            project_codes: strings(&["ok", "(open"]),
            ..CorporateConfig::default()
        });
        assert_eq!(err.path, "detectors.corporate.project_codes[1]");
    }

    #[test]
    fn keywords_are_whole_words_in_any_case_longest_first() {
        let d = detectors(CorporateConfig {
            keywords: strings(&["Bluebird", "blue bird", "Проект Заря", "Ωmega"]),
            ..CorporateConfig::default()
        });
        let table: &[(&str, &[&str])] = &[
            ("about BLUEBIRD.", &["BLUEBIRD"]),
            ("the Blue Bird plan", &["Blue Bird"]),
            ("ПРОЕКТ ЗАРЯ стартует", &["ПРОЕКТ ЗАРЯ"]),
            ("проект заря", &["проект заря"]),
            ("ωMEGA", &["ωMEGA"]),
            ("прoект ЗАРЯ", &["прoект ЗАРЯ"]),
            ("Вluеbіrd", &["Вluеbіrd"]),
            // hard negatives: glued to letters or digits
            ("bluebirds", &[]),
            ("2bluebird", &[]),
            ("Проект Зарянка", &[]),
        ];
        for (text, want) in table {
            let found: Vec<String> = hits(&d, text).into_iter().map(|(_, s)| s).collect();
            assert_eq!(&found, want, "{text}");
        }
    }

    #[test]
    fn empty_keyword_is_refused() {
        let err = build_error(CorporateConfig {
            keywords: strings(&["ok", " \u{200B} "]),
            ..CorporateConfig::default()
        });
        assert_eq!(err.path, "detectors.corporate.keywords[1]");
    }

    #[test]
    fn skeleton_folds_case_and_look_alikes_char_by_char() {
        let table = [
            ("ПРОЕКТ", "пpoekt"),
            ("проект", "пpoekt"),
            ("Bluеbird", "bluebird"),
            ("Ωmega İß", "ωmega İß"),
        ];
        for (input, want) in table {
            assert_eq!(skeleton(input), want, "{input}");
            assert_eq!(skeleton(input).chars().count(), input.chars().count());
        }
    }
}
