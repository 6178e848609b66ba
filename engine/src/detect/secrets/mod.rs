// SPDX-License-Identifier: Apache-2.0
//! Secret detectors: provider API keys and tokens, structured secrets (JWTs,
//! PEM private keys, credentials in URLs) and generic `password=`/`Bearer`
//! assignments. Every finding is [`Category::Secret`].
//!
//! # Design: one literal prefilter, then local checks
//!
//! Scanning must stay fast (the target is ≥500 MB/s) with 100+ rules, so the
//! text is read ONCE, whatever the number of rules:
//!
//! 1. **Prefilter.** One Aho-Corasick automaton (ASCII case-insensitive,
//!    overlapping matches) holds every literal any rule needs: provider
//!    prefixes (`sk-`, `AKIA`, `ghp_`, `xox`…), structural markers (`eyJ`,
//!    `-----BEGIN `, `://`) and keywords (`pass`, `token`, `secret`,
//!    `bearer`, `aws_secret_access_key`, `datadog`…). One pass yields every
//!    candidate position ([`literals`]: our own DFA, walked in quarters).
//! 2. **Local checks.** Each literal maps to the [`Trigger`]s that need it, and
//!    only those run, only next to the hit:
//!    - prefix rules ([`rules::PREFIX_RULES`]) run a `^`-anchored,
//!      case-sensitive regex at the hit (so the case-insensitive prefilter
//!      only over-approximates), once the bytes after the literal fit what
//!      the regex needs there ([`lead`]: `pat` hits every `path`); the few
//!      whose literal sits inside the value
//!      (Telegram `:AA`, Mailchimp `-us`, Terraform `.atlasv1.`) search a
//!      window of `lookbehind + max_len` bytes around it;
//!    - context rules ([`rules::CONTEXT_RULES`]: a weak shape such as 40
//!      base64 chars that counts only near `aws_secret_access_key`) search a
//!      small window around their keyword;
//!    - structured ([`structured`]) and generic ([`generic`]) detectors are
//!      small parsers started at the hit.
//!
//!    No rule runs without a literal: even Telegram bot tokens are reached
//!    through the `:AA` that starts their secret part.
//! 3. **Gates.** A hit must not be glued inside a longer token (explicit
//!    boundary checks on the full text, so windows never create false
//!    boundaries), and its random part must not be a stand-in ([`placeholder`]:
//!    `EXAMPLE`, `xxxx`, runs, low entropy). Generic values must also pass the
//!    `min_secret_entropy` gate and must not read as code.
//! 4. **Dedup.** A value reached through two literals (`aws_secret` and
//!    `aws_secret_access_key`) is reported once per type; overlaps between
//!    types are left to the scanner's resolver, where priorities make the
//!    specific rule win (provider > structured > generic).
//!
//! Rules switched off in `detectors.disabled` are not compiled and their
//! literals are not in the automaton.

mod generic;
mod lead;
mod placeholder;
mod rules;
mod structured;
#[cfg(test)]
mod tests;

use super::catalog::TypeInfo;
use super::pattern::{self, LazyRegex};
use super::prefilter::{LiteralHit, LiteralRegistry};
use super::{Candidate, Detector};
use crate::config::DetectorsConfig;
use crate::detect::entropy::shannon;
use crate::detect::text::Text;
use crate::error::ConfigError;
use crate::finding::Category;
use lead::Leads;
use rules::{CONTEXT_RULES, ContextRule, NEAR_WINDOW, PREFIX_RULES, PrefixRule};
use std::sync::OnceLock;

/// Every secret type, with its validator and a made-up example.
pub(crate) fn types() -> Vec<TypeInfo> {
    let provider = PREFIX_RULES.iter().map(|r| TypeInfo {
        id: r.id,
        category: Category::Secret,
        validator: r.validator,
        example: r.example,
    });
    let context = CONTEXT_RULES.iter().map(|r| TypeInfo {
        id: r.id,
        category: Category::Secret,
        validator: r.validator,
        example: r.example,
    });
    provider
        .chain(context)
        .chain(structured::types())
        .chain(generic::types())
        .collect()
}

/// Compiles the enabled secret detectors into one prefiltered detector,
/// its literals registered in the scanner's shared walk.
pub(crate) fn build(
    cfg: &DetectorsConfig,
    registry: &mut LiteralRegistry,
) -> Result<Vec<Box<dyn Detector>>, ConfigError> {
    Ok(match detector(cfg, registry)? {
        Some(detector) => vec![Box::new(detector)],
        None => Vec::new(),
    })
}

/// The secret detector, or `None` when every secret rule is disabled.
fn detector(
    cfg: &DetectorsConfig,
    registry: &mut LiteralRegistry,
) -> Result<Option<SecretDetector>, ConfigError> {
    let enabled = |id: &str| !cfg.disabled.iter().any(|d| d == id);
    let mut triggers = TriggerTable {
        registry,
        by_literal: Vec::new(),
    };

    let mut prefixes = Vec::new();
    for rule in PREFIX_RULES.iter().filter(|r| enabled(r.id)) {
        let path = format!("secrets.{}", rule.id);
        let anchored = if rule.lookbehind == 0 {
            format!("^(?:{})", rule.pattern)
        } else {
            rule.pattern.to_string()
        };
        let regex = LazyRegex::new(anchored, path, pattern::compile);
        let value_group = has_value_group(rule.pattern);
        for literal in rule.literals {
            triggers.add(literal, Trigger::Prefix(prefixes.len()));
        }
        prefixes.push(CompiledPrefix {
            rule,
            regex,
            value_group,
            leads: OnceLock::new(),
        });
    }

    let mut contexts = Vec::new();
    for rule in CONTEXT_RULES.iter().filter(|r| enabled(r.id)) {
        let regex = LazyRegex::new(
            rule.pattern.to_string(),
            format!("secrets.{}", rule.id),
            pattern::compile,
        );
        for keyword in rule.keywords {
            triggers.add(keyword, Trigger::Context(contexts.len()));
        }
        contexts.push(CompiledContext { rule, regex });
    }

    let structured = structured::Structured::new(enabled)?;
    if structured.wants_jwt() {
        triggers.add("eyJ", Trigger::Jwt);
    }
    if structured.wants_pem() {
        triggers.add("-----BEGIN ", Trigger::Pem);
    }
    if structured.wants_url() {
        triggers.add("://", Trigger::Url);
    }

    let generic = generic::Generic::new(enabled, cfg.min_secret_entropy);
    for (index, keyword) in generic::KEYWORDS.iter().enumerate() {
        if generic.wants(keyword.kind) {
            triggers.add(keyword.word, Trigger::Assignment(index));
        }
    }
    if generic.wants_bearer() {
        triggers.add("bearer", Trigger::Bearer);
    }
    if generic.wants_basic() {
        triggers.add("basic", Trigger::Basic);
    }

    if triggers.by_literal.is_empty() {
        return Ok(None);
    }
    Ok(Some(SecretDetector {
        triggers: triggers.by_literal,
        prefixes,
        contexts,
        structured,
        generic,
    }))
}

/// What a prefilter literal starts.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// Index into `SecretDetector::prefixes`.
    Prefix(usize),
    /// Index into `SecretDetector::contexts`.
    Context(usize),
    Jwt,
    Pem,
    Url,
    /// Index into [`generic::KEYWORDS`].
    Assignment(usize),
    Bearer,
    Basic,
}

/// The triggers of each literal, by its id in the shared walk.
struct TriggerTable<'r> {
    registry: &'r mut LiteralRegistry,
    by_literal: Vec<Vec<Trigger>>,
}

impl TriggerTable<'_> {
    fn add(&mut self, literal: &str, trigger: Trigger) {
        let at = self.registry.id(literal) as usize;
        if self.by_literal.len() <= at {
            self.by_literal.resize_with(at + 1, Vec::new);
        }
        if let Some(list) = self.by_literal.get_mut(at) {
            list.push(trigger);
        }
    }
}

struct CompiledPrefix {
    rule: &'static PrefixRule,
    /// Compiled at the rule's first literal hit.
    regex: LazyRegex,
    /// The regex has a group `v`: the reported span.
    value_group: bool,
    /// What follows the literal in a match, read at the rule's first hit.
    leads: OnceLock<Leads>,
}

impl CompiledPrefix {
    fn leads(&self) -> &Leads {
        self.leads.get_or_init(|| Leads::of(self.rule.pattern))
    }
}

struct CompiledContext {
    rule: &'static ContextRule,
    /// Compiled at the rule's first keyword hit.
    regex: LazyRegex,
}

/// True when a rule's pattern names a group `v` (the reported span); read
/// from the pattern's text so the regex need not be compiled to know it.
fn has_value_group(pattern: &str) -> bool {
    pattern.contains("(?P<v>") || pattern.contains("(?<v>")
}

struct SecretDetector {
    /// Triggers per literal id of the shared walk (other detectors' ids
    /// have none).
    triggers: Vec<Vec<Trigger>>,
    prefixes: Vec<CompiledPrefix>,
    contexts: Vec<CompiledContext>,
    structured: structured::Structured,
    generic: generic::Generic,
}

impl Detector for SecretDetector {
    fn detect_text(&self, text: &Text<'_>, out: &mut Vec<Candidate>) {
        let first = out.len();
        for &LiteralHit {
            literal,
            start,
            end,
        } in text.literal_hits()
        {
            let Some(triggers) = self.triggers.get(literal as usize) else {
                continue;
            };
            for trigger in triggers {
                match *trigger {
                    Trigger::Prefix(i) => {
                        if let Some(rule) = self.prefixes.get(i) {
                            run_prefix(rule, text, start, end, out);
                        }
                    }
                    Trigger::Context(i) => {
                        if let Some(rule) = self.contexts.get(i) {
                            run_context(rule, text, start, end, out);
                        }
                    }
                    Trigger::Jwt => self.structured.jwt(text, start, out),
                    Trigger::Pem => self.structured.pem(text, start, out),
                    Trigger::Url => self.structured.url(text, start, out),
                    Trigger::Assignment(i) => {
                        if let Some(keyword) = generic::KEYWORDS.get(i) {
                            self.generic.assignment(text, start, end, keyword, out);
                        }
                    }
                    Trigger::Bearer => self.generic.bearer(text, start, end, out),
                    Trigger::Basic => self.generic.basic(text, start, end, out),
                }
            }
        }
        dedup_from(out, first);
    }
}

/// A prefix rule at the literal hit `start..end`.
fn run_prefix(
    compiled: &CompiledPrefix,
    text: &str,
    start: usize,
    end: usize,
    out: &mut Vec<Candidate>,
) {
    let rule = compiled.rule;
    // A value that starts with its literal: not glued to a token before
    // it, and followed by what its regex needs there.
    if rule.lookbehind == 0
        && (!boundary_before(text, start, rule.edge_chars)
            || !compiled.leads().may_match_at(text.as_bytes(), start))
    {
        return;
    }
    let Some(regex) = compiled.regex.get() else {
        return;
    };
    if rule.lookbehind == 0 {
        let Some(rest) = text.get(start..) else {
            return;
        };
        let found = if compiled.value_group {
            regex.captures(rest).and_then(|caps| {
                let whole = caps.get(0)?;
                let value = caps.name("v")?;
                Some((whole.end(), value.start(), value.end()))
            })
        } else {
            regex.find(rest).map(|m| (m.end(), 0, m.end()))
        };
        let Some((match_end, value_start, value_end)) = found else {
            return;
        };
        let (match_end, value_start, value_end) =
            (start + match_end, start + value_start, start + value_end);
        // The random part: the value after the literal, or the whole value
        // when the literal is context outside it.
        let random_from = if compiled.value_group {
            value_start
        } else {
            end
        };
        let random = text.get(random_from..value_end).unwrap_or("");
        if boundary_after(text, match_end, "")
            && !placeholder::random_part_is_made_up(random, rule.check_runs)
            && near_ok(text, value_start, value_end, rule.near)
        {
            emit(
                out,
                value_start,
                value_end,
                rule.id,
                rule.score,
                rule.priority,
            );
        }
        return;
    }
    let window_start = floor_boundary(text, start.saturating_sub(rule.lookbehind));
    let window_end = ceil_boundary(text, start.saturating_add(rule.max_len));
    let Some(window) = text.get(window_start..window_end) else {
        return;
    };
    for m in regex.find_iter(window) {
        let (m_start, m_end) = (window_start + m.start(), window_start + m.end());
        if m_start > start {
            break;
        }
        if m_end < end
            || !boundary_before(text, m_start, rule.edge_chars)
            || !boundary_after(text, m_end, "")
            || placeholder::random_part_is_made_up(m.as_str(), rule.check_runs)
            || !near_ok(text, m_start, m_end, rule.near)
        {
            continue;
        }
        emit(out, m_start, m_end, rule.id, rule.score, rule.priority);
    }
}

/// A context rule around the keyword hit `start..end`.
fn run_context(
    compiled: &CompiledContext,
    text: &str,
    start: usize,
    end: usize,
    out: &mut Vec<Candidate>,
) {
    let rule = compiled.rule;
    let Some(regex) = compiled.regex.get() else {
        return;
    };
    let window_start = floor_boundary(text, start.saturating_sub(rule.before));
    let latest_start = end.saturating_add(rule.after);
    let window_end = ceil_boundary(text, latest_start.saturating_add(rule.value_max));
    let Some(window) = text.get(window_start..window_end) else {
        return;
    };
    for m in regex.find_iter(window) {
        let (m_start, m_end) = (window_start + m.start(), window_start + m.end());
        if m_start > latest_start {
            break;
        }
        let value = m.as_str();
        if (m_start < end && m_end > start)
            || !boundary_before(text, m_start, rule.edge_chars)
            || !boundary_after(text, m_end, rule.edge_chars)
            || !(rule.shape)(value)
            || shannon(value) < rule.min_entropy
            || placeholder::random_part_is_made_up(value, true)
        {
            continue;
        }
        emit(out, m_start, m_end, rule.id, rule.score, rule.priority);
    }
}

/// One of `near` occurs within [`NEAR_WINDOW`] bytes of `start..end`
/// (trivially true when `near` is empty).
fn near_ok(text: &str, start: usize, end: usize, near: &[&str]) -> bool {
    if near.is_empty() {
        return true;
    }
    let from = floor_boundary(text, start.saturating_sub(NEAR_WINDOW));
    let to = ceil_boundary(text, end.saturating_add(NEAR_WINDOW));
    text.get(from..to)
        .is_some_and(|around| near.iter().any(|w| around.contains(w)))
}

/// Appends one secret candidate.
fn emit(
    out: &mut Vec<Candidate>,
    start: usize,
    end: usize,
    kind: &'static str,
    score: f64,
    priority: u8,
) {
    out.push(Candidate {
        start,
        end,
        category: Category::Secret,
        kind: kind.into(),
        score,
        priority,
    });
}

/// Removes repeated `(start, end, kind)` candidates appended after `first`.
fn dedup_from(out: &mut Vec<Candidate>, first: usize) {
    if out.len().saturating_sub(first) < 2 {
        return;
    }
    let mut mine = out.split_off(first);
    mine.sort_by(|a, b| (a.start, a.end, &a.kind).cmp(&(b.start, b.end, &b.kind)));
    mine.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.kind == b.kind);
    out.append(&mut mine);
}

/// `c` continues a token, so a value touching it is part of something longer.
fn is_token_char(c: char, extra: &str) -> bool {
    c.is_alphanumeric() || c == '_' || extra.contains(c)
}

/// Nothing token-like directly before byte `at`.
fn boundary_before(text: &str, at: usize, extra: &str) -> bool {
    match text.get(..at) {
        Some(before) => before
            .chars()
            .next_back()
            .is_none_or(|c| !is_token_char(c, extra)),
        None => false,
    }
}

/// Nothing token-like directly at byte `at`.
fn boundary_after(text: &str, at: usize, extra: &str) -> bool {
    match text.get(at..) {
        Some(after) => after
            .chars()
            .next()
            .is_none_or(|c| !is_token_char(c, extra)),
        None => false,
    }
}

/// The largest char boundary of `text` at or below `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The smallest char boundary of `text` at or above `at`.
fn ceil_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while at < text.len() && !text.is_char_boundary(at) {
        at += 1;
    }
    at
}
