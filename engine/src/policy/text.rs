// SPDX-License-Identifier: Apache-2.0
//! Applying a profile to one string: scan, decide per finding, rewrite.

use super::report::Report;
use crate::config::{Action, InjectionChannel, Profile, ProfileNer};
use crate::detect::Scanner;
use crate::detect::cache::{self, TextCache};
use crate::detect::injection::{Assessment, InjectionDetector};
use crate::detect::normalize::Normalized;
use crate::finding::{Category, Finding};
use crate::payload::TextRole;
use crate::placeholder;
use crate::vault::{Vault, VaultFull};
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::fmt;
use std::ops::Range;

/// Why a request's text could not be sanitized within its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SanitizeError {
    /// More findings than `limits.max_findings`.
    TooManyFindings { limit: usize },
    /// More distinct masked values than `limits.max_vault_entries`.
    VaultFull(VaultFull),
    /// A detector failed (NER inference) and `fail_mode` is `closed`.
    Detector(crate::detect::DetectError),
}

impl fmt::Display for SanitizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanitizeError::TooManyFindings { limit } => {
                write!(f, "more than {limit} sensitive values in one request")
            }
            SanitizeError::VaultFull(full) => write!(
                f,
                "more than {} distinct masked values in one request",
                full.max_entries
            ),
            SanitizeError::Detector(err) => write!(f, "{err}"),
        }
    }
}

/// Sanitizes every string of one request against one profile, filling the
/// request's vault and report.
pub(crate) struct RequestSanitizer<'a> {
    pub scanner: &'a Scanner,
    cache: &'a ScanCache,
    pub profile: &'a Profile,
    pub vault: &'a mut Vault,
    pub report: &'a mut Report,
    pub max_findings: usize,
    /// Rewrite the strings (false in dry run: decide and count only).
    pub enforce: bool,
    /// Some string was rewritten.
    pub changed: bool,
    /// Some finding's action is `block`.
    pub blocked: bool,
    /// The heaviest injection found (score, kind), for the refusal message.
    pub injection: Option<Assessment>,
    detector: Option<&'a InjectionDetector>,
    findings_seen: usize,
}

impl<'a> RequestSanitizer<'a> {
    pub(crate) fn new(
        scanner: &'a Scanner,
        cache: &'a ScanCache,
        profile: &'a Profile,
        vault: &'a mut Vault,
        report: &'a mut Report,
        max_findings: usize,
        enforce: bool,
    ) -> Self {
        RequestSanitizer {
            scanner,
            cache,
            profile,
            vault,
            report,
            max_findings,
            enforce,
            changed: false,
            blocked: false,
            injection: None,
            detector: None,
            findings_seen: 0,
        }
    }

    /// Also checks the profile's injection channels with `detector`.
    pub(crate) fn with_injection(mut self, detector: &'a InjectionDetector) -> Self {
        if self.profile.injection.enabled {
            self.detector = Some(detector);
        }
        self
    }

    /// Scans `text` (of `role`) and applies the profile's action to each
    /// finding.
    pub(crate) fn visit(&mut self, text: &mut String, role: TextRole) -> Result<(), SanitizeError> {
        let (
            Scanned {
                findings,
                injection,
            },
            cached,
        ) = self.scan(text, role)?;
        if cached {
            self.report.bytes_cached += text.len();
        }
        if let Some(found) = injection {
            self.check_injection(found);
        }
        if findings.is_empty() {
            return Ok(());
        }
        self.findings_seen += findings.len();
        if self.findings_seen > self.max_findings {
            return Err(SanitizeError::TooManyFindings {
                limit: self.max_findings,
            });
        }
        let mut spans = Vec::with_capacity(findings.len());
        for finding in &findings {
            let action = self.profile.action_for(finding.category, &finding.kind);
            self.report.record(finding.category, &finding.kind, action);
            let range = finding.byte_start..finding.byte_end;
            let replacement = match action {
                Action::Allow => continue,
                Action::Block => {
                    self.blocked = true;
                    continue;
                }
                Action::Redact => placeholder::redaction(&finding.kind),
                Action::Mask => {
                    let value = text.get(range.clone()).unwrap_or("");
                    self.vault
                        .mask(&finding.kind, value)
                        .map_err(SanitizeError::VaultFull)?
                }
            };
            spans.push(Span {
                range,
                replacement,
                kind: &finding.kind,
                masked: action == Action::Mask,
            });
        }
        if self.enforce && !spans.is_empty() {
            let spans =
                cover_recurrences(text, spans, self.vault).map_err(SanitizeError::VaultFull)?;
            *text = splice(
                text,
                spans
                    .iter()
                    .map(|s| (s.range.clone(), s.replacement.as_str())),
            );
            self.changed = true;
        }
        Ok(())
    }
}

/// What one text holds: its findings and, when its channel is checked, its
/// injection assessment. A pure function of the text, the engine and the
/// profile's NER choices (the cache key), so it is kept across requests.
#[derive(Clone)]
pub(crate) struct Scanned {
    findings: Vec<Finding>,
    injection: Option<Assessment>,
}

/// What a text's findings depend on besides the text and the engine: the
/// profile's NER choices and whether injection is assessed.
pub(super) fn cache_context(ner: &ProfileNer, injection: bool) -> Vec<u8> {
    let mut context = vec![u8::from(injection), u8::from(ner.enabled)];
    for kind in &ner.types {
        context.extend_from_slice(kind.as_bytes());
        context.push(0);
    }
    context
}

/// Texts → what they hold (`detectors.cache_entries`).
pub(crate) type ScanCache = TextCache<Scanned>;

/// Texts with more findings are scanned again rather than kept: bounds the
/// cache to ~1 MB at 1024 entries (a finding is ~72 bytes).
const MAX_CACHED_FINDINGS: usize = 16;

/// A byte range of a text, what replaces it, and the finding it came from.
#[derive(Clone)]
struct Span<'f> {
    range: Range<usize>,
    replacement: String,
    kind: &'f str,
    /// Mask (restorable) rather than redact.
    masked: bool,
}

/// Adds every other verbatim copy of a value being replaced, and returns
/// sorted, disjoint spans. A value found once is sensitive wherever it
/// recurs in the text, also where its detector does not fire: a
/// word-boundary or context rule can miss the second copy (`PRJ-4410hips
/// PRJ-4410`, found by fuzzing), and NER can find only `Marcus` where it
/// found `Marcus Delaney` a sentence before. Overlapping spans and copies
/// become one span, so no character of a found value stays in the text:
/// - one of them covers the rest: it replaces them all (`a@x.org` inside a
///   found `ba@x.org`, or `Marcus` inside a copy of `Marcus Delaney`);
/// - they only overlap: their union is replaced as one value of the longest
///   one's type, masked if every part was masked, redacted otherwise.
fn cover_recurrences<'f>(
    text: &str,
    mut spans: Vec<Span<'f>>,
    vault: &mut Vault,
) -> Result<Vec<Span<'f>>, VaultFull> {
    let mut values: Vec<(&str, usize)> = spans
        .iter()
        .enumerate()
        .filter_map(|(i, span)| Some((text.get(span.range.clone())?, i)))
        .filter(|(value, _)| !value.is_empty())
        .collect();
    values.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
    values.dedup_by(|a, b| a.0 == b.0);
    let copies: Vec<(usize, usize)> = if values.len() <= PER_VALUE_SEARCHES {
        per_value_copies(text, &values)
    } else {
        // A contiguous NFA: built per text, a DFA's construction costs more
        // than the search saves.
        match AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(values.iter().map(|(v, _)| v))
        {
            Ok(automaton) => automaton
                .find_overlapping_iter(text)
                .map(|m| (m.pattern().as_usize(), m.start()))
                .collect(),
            Err(_) => per_value_copies(text, &values),
        }
    };
    let found = spans.len();
    for (value, start) in copies {
        let Some(&(value, origin)) = values.get(value) else {
            continue;
        };
        let Some(span) = spans.get(origin) else {
            continue;
        };
        let range = start..start + value.len();
        if range != span.range {
            let copy = Span {
                range,
                ..span.clone()
            };
            spans.push(copy);
        }
    }
    // By start, the longest first: a cluster's first span covers it all
    // when it reaches the cluster's end.
    spans.sort_by(|a, b| (a.range.start, b.range.end).cmp(&(b.range.start, a.range.end)));
    let mut out: Vec<Span<'f>> = Vec::with_capacity(found);
    let mut cluster: Vec<Span<'f>> = Vec::new();
    let mut cluster_end = 0;
    for span in spans {
        if span.range.start >= cluster_end {
            out.extend(merge(text, &mut cluster, cluster_end, vault)?);
        }
        cluster_end = cluster_end.max(span.range.end);
        cluster.push(span);
    }
    out.extend(merge(text, &mut cluster, cluster_end, vault)?);
    Ok(out)
}

/// One span for a cluster of overlapping ones (sorted by start, the
/// longest first) that ends at `end`, emptying the cluster.
fn merge<'f>(
    text: &str,
    cluster: &mut Vec<Span<'f>>,
    end: usize,
    vault: &mut Vault,
) -> Result<Option<Span<'f>>, VaultFull> {
    let mut members = cluster.drain(..);
    let Some(first) = members.next() else {
        return Ok(None);
    };
    if first.range.end == end {
        return Ok(Some(first));
    }
    let range = first.range.start..end;
    let mut masked = first.masked;
    let mut longest = first;
    for span in members {
        masked &= span.masked;
        if span.range.len() > longest.range.len() {
            longest = span;
        }
    }
    let replacement = if masked {
        vault.mask(longest.kind, text.get(range.clone()).unwrap_or(""))?
    } else {
        placeholder::redaction(longest.kind)
    };
    Ok(Some(Span {
        range,
        replacement,
        kind: longest.kind,
        masked,
    }))
}

/// Up to this many distinct values, one memchr-driven search per value beats
/// building an automaton (callgrind, 64 KB chat with ~170 values); above it
/// the per-value searches grow quadratic and one Aho-Corasick pass wins.
const PER_VALUE_SEARCHES: usize = 64;

/// Every copy of every value, one SIMD substring search per value
/// (`memmem`: several times fewer instructions than `str::match_indices`).
fn per_value_copies(text: &str, values: &[(&str, usize)]) -> Vec<(usize, usize)> {
    // Each value is at least where it was found, often twice or more (a
    // `flat_map` collect grew the list a few times per text, ~1 % of a
    // new real-text request in reallocations, callgrind).
    let mut copies = Vec::with_capacity(values.len() * 2);
    for (i, (value, _)) in values.iter().enumerate() {
        copies
            .extend(memchr::memmem::find_iter(text.as_bytes(), value.as_bytes()).map(|at| (i, at)));
    }
    copies
}

/// `text` with each byte range replaced; ranges are sorted, and one that
/// overlaps the previous is skipped. The one splice behind request masking
/// and output redaction.
fn splice<'r>(text: &str, edits: impl IntoIterator<Item = (Range<usize>, &'r str)>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, replacement) in edits {
        if range.start < last {
            continue;
        }
        out.push_str(text.get(last..range.start).unwrap_or(""));
        out.push_str(replacement);
        last = range.end;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    out
}

impl RequestSanitizer<'_> {
    /// Injection check on one text of a scanned channel. Any action but
    /// `allow` blocks: an instruction is not made safe by cutting a span.
    /// What `text` holds, and whether the cache answered: from the cache
    /// when it was seen before, else scanned (and its injection assessed
    /// when its channel is checked).
    fn scan(&self, text: &str, role: TextRole) -> Result<(Scanned, bool), SanitizeError> {
        let config = &self.profile.injection;
        let injection = self
            .detector
            .filter(|_| config.channels.contains(&channel_of(role)));
        let key = self
            .cache
            .is_on()
            .then(|| cache::key(&cache_context(&self.profile.ner, injection.is_some()), text));
        if let Some(hit) = key.as_ref().and_then(|key| self.cache.get(key)) {
            return Ok((hit, true));
        }
        let failures = self.scanner.ner_failures();
        let view = Normalized::new(text);
        let scanned = Scanned {
            injection: injection.and_then(|detector| detector.assess_view(&view)),
            findings: self
                .scanner
                .try_scan_view(&view, &self.profile.ner)
                .map_err(SanitizeError::Detector)?,
        };
        // A skipped inference (fail_mode open) is not an answer to keep.
        if let Some(key) = key
            && scanned.findings.len() <= MAX_CACHED_FINDINGS
            && self.scanner.ner_failures() == failures
        {
            self.cache.insert(key, scanned.clone());
        }
        Ok((scanned, false))
    }

    /// Applies the profile's injection threshold and action to a text's
    /// assessment.
    fn check_injection(&mut self, found: Assessment) {
        let config = &self.profile.injection;
        if found.score < config.threshold {
            return;
        }
        let action = self.profile.action_for(Category::Injection, found.kind);
        self.report.record(Category::Injection, found.kind, action);
        if action != Action::Allow {
            self.blocked = true;
        }
        if self.injection.is_none_or(|prev| prev.score < found.score) {
            self.injection = Some(found);
        }
    }
}

/// The injection channel a text role belongs to.
pub(crate) fn channel_of(role: TextRole) -> InjectionChannel {
    match role {
        TextRole::User => InjectionChannel::User,
        TextRole::System => InjectionChannel::System,
        TextRole::Assistant => InjectionChannel::Assistant,
        TextRole::ToolArguments => InjectionChannel::ToolArguments,
        TextRole::ToolResult => InjectionChannel::ToolResult,
        TextRole::ToolDefinition => InjectionChannel::ToolDefinition,
        TextRole::Name => InjectionChannel::Name,
        TextRole::Metadata => InjectionChannel::Metadata,
        TextRole::Other => InjectionChannel::Other,
    }
}

/// Redacts, in model output, every value the profile does not allow.
/// Returns the rewritten text (or `None` when nothing changed) and the
/// number of values redacted. Output can't be blocked once it streams, so
/// `mask` and `block` also redact here.
pub(crate) fn redact_output(
    scanner: &Scanner,
    profile: &Profile,
    text: &str,
) -> (Option<String>, u32) {
    redact_findings(profile, text, &scanner.scan_for(text, &profile.ner))
}

/// [`redact_output`] with the findings of `text` already known (sorted,
/// disjoint, inside `text`).
pub(crate) fn redact_findings(
    profile: &Profile,
    text: &str,
    findings: &[Finding],
) -> (Option<String>, u32) {
    let replacements: Vec<Option<String>> = findings
        .iter()
        .map(|f| match profile.action_for(f.category, &f.kind) {
            Action::Allow => None,
            Action::Mask | Action::Redact | Action::Block => Some(placeholder::redaction(&f.kind)),
        })
        .collect();
    let n = replacements.iter().filter(|r| r.is_some()).count();
    if n == 0 {
        return (None, 0);
    }
    (
        Some(splice(
            text,
            findings
                .iter()
                .zip(&replacements)
                .filter_map(|(f, r)| Some((f.byte_start..f.byte_end, r.as_deref()?))),
        )),
        u32::try_from(n).unwrap_or(u32::MAX),
    )
}
