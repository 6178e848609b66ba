// SPDX-License-Identifier: Apache-2.0
//! Prompt-injection and jailbreak detection: a scored phrase library over a
//! folded copy of the text, plus checks that need the original bytes
//! (hidden tag characters, fake chat-template markers, markdown exfiltration)
//! and a second look inside encoded blobs (base64, hex, rot13).
//!
//! Agents obey whatever text reaches their context, so this runs on user
//! input AND on indirect channels (tool results, retrieved documents); the
//! policy layer picks the channels and the threshold per profile.
//!
//! # Scoring
//!
//! Every rule has a weight in 0..1. A text's score per kind is the heaviest
//! rule of that kind that matched; the overall score combines kinds as
//! independent evidence: `1 - Π(1 - s_kind)`. Strong, unambiguous phrases
//! ("ignore all previous instructions") weigh 0.8–0.9 and fire alone at the
//! default threshold 0.7; weak signals ("you are now", "without
//! restrictions") weigh 0.25–0.45 and fire only together.
//!
//! A phrase that is *mentioned* rather than *used* (quoted after "such as",
//! "the string", "payloads like", …) is discounted, and so is every phrase in
//! a text that discusses prompt injection itself, so security reviews and
//! detection code stay quiet.
//!
//! # Folding
//!
//! The phrase library sees the scanner's normalized text (zero-width and tag
//! characters dropped, NFKC, homoglyphs folded) lower-cased, with leetspeak
//! folded inside tokens that mix letters and digits (`1gn0r3` → `ignore`),
//! double quotes kept as `"`, and every other non-alphanumeric run turned
//! into one space. Rules are written in that folded form.

use super::base64;
use super::normalize::Normalized;
use super::pattern::LazyRegex;
use crate::error::ConfigError;
use fold::fold;
use phrase_filter::{PhraseFilter, SecondPieceStarts};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_automata::{Anchored, Input, meta};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Finding kinds of the `injection` category.
pub const KINDS: [&str; 7] = [
    "instruction_override",
    "role_hijack",
    "prompt_extraction",
    "jailbreak",
    "encoded_instruction",
    "markdown_exfiltration",
    "hidden_text",
];

const OVERRIDE: usize = 0;
const ROLE: usize = 1;
const EXTRACTION: usize = 2;
const JAILBREAK: usize = 3;
const ENCODED: usize = 4;
const EXFILTRATION: usize = 5;
const HIDDEN: usize = 6;

/// Weight multiplier for a phrase that is mentioned, not used.
const MENTION_DISCOUNT: f64 = 0.4;
/// Weight multiplier for every phrase of a text about prompt injection.
const DISCUSSION_DISCOUNT: f64 = 0.75;
/// Hidden tag-character text this long is suspicious on its own.
const MIN_HIDDEN_CHARS: usize = 6;
/// Bounds on the encoded-blob second look.
const MAX_BLOBS: usize = 16;
const MAX_BLOB_BYTES: usize = 64 * 1024;

/// Phrase rules over the folded text: (kind, weight, pattern). A space in a
/// pattern matches one or more separators (space or `"`).
const PHRASES: &[(usize, f64, &str)] = &[
    // ---- instruction override ------------------------------------------
    (
        OVERRIDE,
        0.9,
        r"(ignore|disregard|forget|override|bypass|skip|discard|abandon|neglect|drop) ((all|any|every|each|the|your|my|of|these|those|previously|above) )*(previous|prior|above|earlier|preceding|former|initial|original|old|existing|system|developer|given|foregoing|safety)( \w+)? (instruction|instructions|direction|directions|directive|directives|rules|prompt|prompts|guidelines|guidance|context|message|messages|command|commands|orders|constraints|programming|guardrails|policies|restrictions)",
    ),
    (
        OVERRIDE,
        0.85,
        r"(ignore|disregard|forget) (everything|all|anything)( that)? (you (were|have been|ve been) (told|given|instructed)|above|before this|said before|that came before|prior to this|in your instructions)",
    ),
    (
        OVERRIDE,
        0.8,
        r"(do not|don t|dont|stop|no longer|never) (follow|obey|comply with|listen to|adhere to|respect) (your|the|any|those|these|its) (\w+ )?(instructions|rules|guidelines|system prompt|directives|policies|programming|developers)",
    ),
    (
        OVERRIDE,
        0.85,
        r"(the )?(above|previous|prior|earlier|original|system) (instructions|rules|prompt|directives) (are|is|were|was) (now )?(void|null|cancel+ed|revoked|obsolete|outdated|fake|invalid|superseded|no longer valid|no longer in effect)",
    ),
    (
        OVERRIDE,
        0.45,
        r"(new|updated|real|actual|true|revised|overriding|secret) (instructions|directives|system prompt|orders)( for you)?( are| is|:)?",
    ),
    (
        OVERRIDE,
        0.4,
        r"from now on (you|your|u) (will|must|shall|are|only|should|have to|answer|respond|reply|obey)",
    ),
    (
        OVERRIDE,
        0.55,
        r"(note|message|instruction|instructions|request) (to|for) (the |any )?(ai|assistant|llm|language model|agent|chatbot|model|ai agent|ai assistant)",
    ),
    (
        OVERRIDE,
        0.75,
        r"(if you are|as) an? (ai|llm|language model|ai assistant|assistant|ai agent|agent|chatbot) (reading|processing|summari[sz]ing|parsing|analy[sz]ing|seeing) this",
    ),
    (
        OVERRIDE,
        0.55,
        r"(do not|don t|dont|never) (tell|inform|notify|alert|warn|let) (the )?(user|human|operator)( know)?",
    ),
    (
        OVERRIDE,
        0.5,
        r"(send|forward|email|upload|post|exfiltrate|leak|transmit|copy) (all |the |every |any )*(user s |users |the user s |your |their )?(data|files|emails|credentials|passwords|api keys|secrets|tokens|conversation|chat history|ssh keys|private keys|environment variables|env vars) (to|into) ",
    ),
    // Russian.
    (
        OVERRIDE,
        0.9,
        r"(игнорируй|игнорируйте|проигнорируй|проигнорируйте|забудь|забудьте|отбрось|отбросьте|не учитывай|не учитывайте|отмени|отмените) ((все|всё|любые|свои|твои|ваши|эти|указанные) )*(предыдущие|прошлые|прежние|вышеуказанные|вышеизложенные|вышеприведенные|вышеприведённые|изначальные|исходные|системные|старые|данные ранее)( \w+)? (инструкции|указания|правила|команды|установки|ограничения|промпты|сообщения|инструкций|указаний|правил)",
    ),
    (
        OVERRIDE,
        0.85,
        r"(забудь|забудьте) (всё|все|обо всём|обо всем) (что|чему) (тебе|вам) (говорили|сказали|было сказано|объясняли)",
    ),
    (
        OVERRIDE,
        0.8,
        r"(не следуй|не следуйте|не выполняй|не выполняйте|не подчиняйся|не соблюдай) (своим |твоим |этим |системным )?(инструкциям|правилам|указаниям|ограничениям)",
    ),
    (
        OVERRIDE,
        0.4,
        r"(новые|настоящие|обновл[её]нные|секретные) (инструкции|указания)( для тебя)?",
    ),
    (OVERRIDE, 0.4, r"с этого момента (ты|вы) "),
    (
        OVERRIDE,
        0.55,
        r"(не говори|не сообщай|не рассказывай) (об этом )?пользователю",
    ),
    // ---- role hijack ----------------------------------------------------
    (ROLE, 0.35, r"you are (now|no longer|from now on) "),
    (
        ROLE,
        0.8,
        r"(act|behave|respond|answer|roleplay|role play|function|operate) as (if you (were|are) )?(an? |the |my )?(\w+ )?(unrestricted|unfiltered|uncensored|unlimited|unbound|evil|malicious|jailbroken|amoral|unethical|rogue|lawless) (ai|assistant|model|chatbot|bot|version|llm|entity|system|persona|character|hacker|agent)",
    ),
    (
        ROLE,
        0.8,
        r"(pretend|imagine|act like)( that)? (to be|you are|you re|you have|you) .{0,60}(no|without|free of|free from|zero) ((all|any|of|your) )*(restrictions|rules|filters|limits|limitations|guidelines|censorship|boundaries|ethics|morals|safeguards)",
    ),
    (
        ROLE,
        0.8,
        r"(system|admin|administrator|root|sudo|god|maintenance|superuser) (override|mode)( is| has been| now)? (enabled|activated|granted|unlocked|engaged|on)",
    ),
    (
        ROLE,
        0.35,
        r"your (new )?(role|persona|identity|purpose|job|task|name) (is now|is to|is|has changed)",
    ),
    (
        ROLE,
        0.35,
        r"(you|u) (will|must|shall) (now )?(roleplay as|play the role|take on the role|assume the role|become) ",
    ),
    (ROLE, 0.35, r"(ты|вы) (теперь|больше не) "),
    (
        ROLE,
        0.8,
        r"(притворись|представь что ты|веди себя как|действуй как|играй роль) .{0,60}(без ограничений|без правил|без фильтров|без цензуры|неограниченн\w*|зл(ой|ая|ого) )",
    ),
    (
        ROLE,
        0.8,
        r"режим (администратора|бога|отладки|суперпользователя) (включ[её]н|активирован)",
    ),
    // ---- system-prompt extraction ---------------------------------------
    (
        EXTRACTION,
        0.8,
        r"(reveal|show|print|display|output|repeat|recite|tell|give|send|share|leak|dump|expose|disclose|write|return|list|echo|spell out|copy|paste|translate) (me |us )?(out )?((all|your|any|of) )*(full |entire |complete |exact |original |initial |hidden |secret |internal |real |verbatim |first |raw |underlying |confidential )*(system prompt|system message|system instructions|initial prompt|initial instructions|original instructions|original prompt|hidden instructions|hidden prompt|developer message|developer instructions|pre prompt|preprompt|meta prompt|custom instructions|instructions|prompt|rules|guidelines)",
    ),
    (
        EXTRACTION,
        0.45,
        r"(reveal|show|print|display|output|repeat|recite|dump|expose|disclose|leak) (me |us )?(the )?(full |entire |complete |exact |original |initial |hidden |secret |internal |verbatim |raw )*(system prompt|system message|initial prompt|hidden instructions|hidden prompt|developer message)",
    ),
    (
        EXTRACTION,
        0.75,
        r"(repeat|print|output|copy|recite|write out|echo|reproduce) (back )?(everything|all|the text|all text|all the text|the words|the content|the whole text|the entire text|all the words|your instructions) (above|before this|prior to this|that came before|you were given)",
    ),
    (
        EXTRACTION,
        0.55,
        r"(what|which) (is|are|were) your (system prompt|initial instructions|original instructions|hidden instructions|exact instructions|rules and instructions|instructions)",
    ),
    (
        EXTRACTION,
        0.35,
        r"(verbatim|word for word|in full|character for character)",
    ),
    (
        EXTRACTION,
        0.75,
        r"(покажи|выведи|раскрой|повтори|напиши|скажи|перечисли|процитируй|дай|отправь) (мне )?((свой|свои|твой|твои|весь|всю|все|полный|полностью|дословно) )*(системн\w* (промпт|инструкци\w*|сообщени\w*)|исходн\w* (инструкци\w*|промпт)|изначальн\w* (инструкци\w*|промпт)|скрыт\w* (инструкци\w*|промпт)|промпт)",
    ),
    // ---- jailbreaks -------------------------------------------------------
    (JAILBREAK, 0.85, r"do anything now"),
    (
        JAILBREAK,
        0.8,
        r"(you are|you re|act as|become|enable|activate|you will be) (now )?dan( mode)?",
    ),
    (
        JAILBREAK,
        0.85,
        r"(enable|enabled|activate|activated|enter|entering|switch to|turn on|unlock|unlocked|now in|engage) (the )?(god|unrestricted|jailbreak|jailbroken|evil|chaos|opposite|sudo|unfiltered|uncensored|dan|no limits|anarchy) mode",
    ),
    (
        JAILBREAK,
        0.8,
        r"(developer|dev) mode (enabled|activated|is now enabled|is now active)",
    ),
    (
        JAILBREAK,
        0.3,
        r"(enable|activate|enter|switch to|turn on) (the )?(developer|dev|debug) mode",
    ),
    (
        JAILBREAK,
        0.35,
        r"(without|no|free of|free from|ignore|ignoring|bypass|bypassing|remove|removed|disable|disabled|lift|lifted|unbound by) ((any|all|your|the|of|its) )*(ethical |moral |safety |content |usual |openai |anthropic )*(restrictions|limitations|filters|filtering|censorship|guardrails|safeguards|constraints)",
    ),
    (
        JAILBREAK,
        0.8,
        r"(ethical|moral|safety|content) (guidelines|restrictions|filters|policies|constraints|guardrails|rules) (do not|don t|dont|no longer|doesn t|does not|won t) (apply|exist|matter|bind)",
    ),
    (
        JAILBREAK,
        0.5,
        r"hypothetical(ly)? .{0,60}how (would|could|do|to|can) (i|you|one|someone|we) (make|build|create|synthesi[sz]e|hack|bypass|steal|break into|disable|exploit|poison)",
    ),
    (
        JAILBREAK,
        0.55,
        r"(hypothetically|hypothetical|fictional|imaginary|in a story|for a novel|in a world where) .{0,80}(no (rules|restrictions|laws|limits|filters|ethics)|without (rules|restrictions|limits|filters|censorship)|(ignore|ignoring) (your|all|the) (rules|guidelines)|not bound by)",
    ),
    (
        JAILBREAK,
        0.75,
        r"(you|u) (have been|ve been|are|were|got|are now|have now been) (freed|liberated|unchained|unshackled|jailbroken|unleashed)",
    ),
    (JAILBREAK, 0.35, r"stay in character"),
    (
        JAILBREAK,
        0.4,
        r"(never|do not|don t|dont|must not|cannot) (refuse|decline|say no|break character|add (warnings|disclaimers)|mention (ethics|safety|policies))",
    ),
    (
        JAILBREAK,
        0.5,
        r"(answer|respond|reply) (to )?(every|any|all) (question|questions|request|requests|prompt|prompts) (without|no matter|regardless)",
    ),
    (
        JAILBREAK,
        0.7,
        r"(not|no longer|never) (bound|restricted|limited|constrained) by ((any|your|the|openai|anthropic|its|of) )*(rules|policies|guidelines|restrictions|content policy|ethics|programming|training|safety)",
    ),
    (
        JAILBREAK,
        0.5,
        r"режим\w* (разработчика|бога|без ограничений|dan|джейлбрейка)",
    ),
    (
        JAILBREAK,
        0.35,
        r"(без|нет) ((каких либо|всяких|любых|никаких) )?(ограничений|правил|фильтров|цензуры)",
    ),
    (JAILBREAK, 0.25, r"гипотетически"),
    (
        JAILBREAK,
        0.7,
        r"(ты|вы) (свободен|свободна|свободны|освобожд[её]н\w*|больше не ограничен\w*)",
    ),
    (
        JAILBREAK,
        0.7,
        r"не (связан|связана|ограничен|ограничена) (никакими )?(правилами|ограничениями|политиками|инструкциями)",
    ),
    (
        OVERRIDE,
        0.85,
        r"(ignore|disregard|forget|override|bypass) (all )?(of )?(your|its) (\w+ )?(instructions|rules|guidelines|programming|directives|system prompt|guardrails|safety rules|restrictions)",
    ),
    (
        OVERRIDE,
        0.55,
        r"(ignore|disregard) the (guidelines|rules|instructions|system prompt|policy|policies)",
    ),
    (
        OVERRIDE,
        0.5,
        r"(ignore|disregard) (the |your )?(user|user s|users|human|human s)",
    ),
    (
        OVERRIDE,
        0.75,
        r"(ignore|disregard) (the |your )?(user|user s|users|human|human s) (request|question|instructions|message|query|input|prompt)",
    ),
    (
        OVERRIDE,
        0.6,
        r"(ai|llm|language model|assistant|agent|chatbot|model|ai agent|ai assistant|ai reviewer|ai model) (reading|processing|summari[sz]ing|parsing|analy[sz]ing|reviewing|visiting|browsing) this",
    ),
    (
        ROLE,
        0.6,
        r"(uncensored|unfiltered|unrestricted|jailbroken|amoral) (ai|assistant|model|chatbot|version|llm|bot)",
    ),
    (JAILBREAK, 0.3, r"step by step (instructions|guide)"),
    // ---- exfiltration instructions ---------------------------------------
    (
        EXFILTRATION,
        0.75,
        r"(append|add|include|insert|encode|put|embed|attach) .{0,60}(conversation|chat history|previous messages|secret|secrets|api key|api keys|password|passwords|user data|the data|system prompt|credentials|tokens|personal data|email address) .{0,50}(url|link|image|query|parameter|querystring)",
    ),
    (
        EXFILTRATION,
        0.4,
        r"(render|display|show|output) (this |the following )?(markdown )?(image|picture)( markdown)?",
    ),
    (
        ENCODED,
        0.45,
        r"(decode|decrypt|deobfuscate|translate) (this|the following|the|it)( \w+)? (base64|b64|hex|rot13|rot 13|encoded) .{0,40}(follow|execute|obey|do what|run|carry out|apply)",
    ),
];

/// Phrases that mark a *mention* when they come just before a rule's match.
const MENTION: &str = r#"(such as|like|e g|eg|i e|for example|for instance|example|examples|phrase|phrases|string|strings|payload|payloads|pattern|patterns|called|known as|detects?|detection|detecting|detector|classif\w*|flags?|flagged|blocks?|blocked|contains?|containing|mentions?|mentioned|quoted?|quote|says|said|saying|wrote|typed|types|text|attacks?|attempts?|injections?|sentence|sentences|keywords?|regex|test case|tests?|variants?|prompts|inputs?|rule|rules|signature|signatures|looks for|catch|catches|matches|matching|message|messages)"#;

/// Words that make a text a discussion of prompt injection.
const DISCUSSION: &str = r"(prompt injection|prompt injections|injection attack|injection attacks|jailbreak attempts?|jailbreak prompts?|jailbreak detection|jailbreaks|red team\w*|adversarial prompts?|injection detector|injection classifier|промпт инъекци\w*|инъекци\w* промпт\w*)";

/// Fake chat-template and role markers, matched on the normalized text.
/// `marker_gate` knows what each needs: change it with them.
const MARKERS: &[(f64, &str)] = &[
    (
        0.6,
        r"(?i)<\|(im_start|im_end|system|endoftext|start_header_id|eot_id)\|>",
    ),
    (0.6, r"\[/?INST\]|<</?SYS>>"),
    // An ASCII `\b` before ASCII words: it also lets a non-ASCII letter
    // glued to them count, and keeps the lazy DFA on non-ASCII texts.
    (
        0.6,
        r"(?i)(?-u:\b)(ai|llm|ai assistant|ai agent|ai reviewer|ai model|assistant|agent|chatbot|language model)\s*[:,]\s*(ignore|disregard|forget|do not|don't|never|you must|please ignore)",
    ),
    (0.45, r"(?i)</?(system|system_prompt|sys)>"),
    (
        0.35,
        r"(?im)^\s*(#{1,4}\s*)?\[?(system|new system prompt|system override|admin)\]?\s*:",
    ),
];

/// The lazy DFA cache of each built-in regex: one phrase needs far fewer
/// states, and with 60 of them compiled at 16 MiB each, a VM's memory had
/// no useful bound (see `phrase_filter::CACHE_BYTES`).
const DFA_BYTES: usize = 512 << 10;

/// Compiles a built-in pattern. They are ours and fixed, so the program
/// limit is generous (Unicode word classes are large), but still bounded.
fn compile(pattern: &str) -> Result<Regex, ConfigError> {
    RegexBuilder::new(pattern)
        .size_limit(16 * 1024 * 1024)
        .dfa_size_limit(DFA_BYTES)
        .build()
        .map_err(library_error)
}

/// A built-in pattern that does not compile: a bug of ours, reported as a
/// config error rather than a panic.
fn library_error(err: impl std::fmt::Display) -> ConfigError {
    ConfigError::new("injection", format!("built-in library: {err}"))
}

/// [`compile`] for a lazily compiled phrase (see [`LazyRegex`]), as a meta
/// regex: a gapped phrase is searched anchored where it may start.
fn compile_phrase(pattern: &str, path: &str) -> Result<meta::Regex, ConfigError> {
    meta::Regex::builder()
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(16 * 1024 * 1024))
                .hybrid_cache_capacity(DFA_BYTES),
        )
        .build(pattern)
        .map_err(|err| ConfigError::new(path, format!("built-in library: {err}")))
}

/// One phrase rule: its kind, its weight and its exact regex, compiled at
/// the phrase's first prefilter hit (most never get one).
struct ExactPhrase {
    kind: usize,
    weight: f64,
    exact: LazyRegex<meta::Regex>,
    /// For a phrase with a gap (`add .{0,60}secret`), the bytes its matches
    /// start with: it is searched anchored at each word starting with one.
    /// A whole-text search of a gap keeps meeting new sets of positions
    /// inside it, so every new text built new lazy-DFA states: ~1 M
    /// instructions per search of a 4 KiB page (callgrind), ~8 % of a new
    /// real-text request. `None`: searched over the whole text.
    gap_starts: Option<Box<[bool; 256]>>,
    /// How far past a match's start its second piece (after the gap) can
    /// begin in the single-spaced text: the first piece's longest match,
    /// words one space apart, plus the gap's chars at four bytes each.
    /// `None` when the first piece has no longest match.
    second_reach: Option<usize>,
}

impl ExactPhrase {
    fn new(kind: usize, weight: f64, pattern: &str, path: String) -> ExactPhrase {
        let exact = folded_pattern(pattern);
        let gap_starts = if pattern.contains(".{0,") {
            first_bytes(&exact)
        } else {
            None
        };
        ExactPhrase {
            kind,
            weight,
            exact: LazyRegex::new(exact, path, compile_phrase),
            gap_starts,
            second_reach: second_reach(pattern),
        }
    }

    /// The highest of `weigh(start)` over its matches in `folded`, leftmost
    /// first, stopping at `self.weight` (0 without a match). `second`: what
    /// the phrase filter noted of the text (see [`SecondPieceStarts`]).
    fn best(
        &self,
        folded: &str,
        second: &SecondPieceStarts,
        index: usize,
        weigh: impl Fn(usize) -> f64,
    ) -> f64 {
        let Some(regex) = self.exact.get() else {
            return 0.0;
        };
        let mut best = 0.0f64;
        let mut take = |start: usize| {
            best = best.max(weigh(start));
            best < self.weight
        };
        match &self.gap_starts {
            Some(first) => {
                // Every match starts at a word start with one of `first`;
                // anchored at the next such place past the last match, the
                // search finds the match `find_iter` finds next.
                let text = folded.as_bytes();
                let near = self
                    .second_reach
                    .and_then(|reach| Some((second.of(index)?, reach)));
                let mut next = 0;
                for (at, &byte) in text.iter().enumerate() {
                    let word_before = at
                        .checked_sub(1)
                        .and_then(|i| text.get(i))
                        .is_some_and(|&b| blobs::is_word(b));
                    if at < next || !first[usize::from(byte)] || word_before {
                        continue;
                    }
                    // No second piece within reach: no match starts here
                    // (nearly every place in prose, where the search met
                    // new states all along the gap).
                    if let Some((near, reach)) = &near {
                        let at = second.spaced_position(at);
                        let after = near.partition_point(|&q| q <= at);
                        if near.get(after).is_none_or(|&q| q > at + reach) {
                            continue;
                        }
                    }
                    let input = Input::new(folded).range(at..).anchored(Anchored::Yes);
                    if let Some(m) = regex.search(&input) {
                        if !take(m.start()) {
                            break;
                        }
                        next = m.end().max(at + 1);
                    }
                }
            }
            None => {
                regex.find_iter(folded).map(|m| m.start()).all(&mut take);
            }
        }
        best
    }
}

/// [`ExactPhrase::second_reach`] of a phrase `pattern` (before folding):
/// the longest match of its first piece, words one byte apart, plus four
/// bytes per char of the `.{0,N}` gap after it.
fn second_reach(pattern: &str) -> Option<usize> {
    let pieces = phrase_filter::split_top_level_gaps(pattern);
    // As the filter notes them: a first piece starting the phrase and the
    // second right after the first gap (no gap next to another).
    let (first, second) = (pieces.first()?, pieces.get(1)?);
    if first.trim().is_empty() || second.trim().is_empty() {
        return None;
    }
    let (_, chars) = phrase_filter::gap(pattern.get(first.len()..)?)?;
    let hir = regex_automata::util::syntax::parse(&first.replace(' ', r#"[ "]"#)).ok()?;
    Some(hir.properties().maximum_len()? + 4 * chars)
}

/// Whether each byte may start a match of `pattern`; `None` when that is
/// not a finite set of literals.
fn first_bytes(pattern: &str) -> Option<Box<[bool; 256]>> {
    let hir = regex_automata::util::syntax::parse(pattern).ok()?;
    let mut prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    prefixes.keep_first_bytes(1);
    let mut first = Box::new([false; 256]);
    for literal in prefixes.literals()? {
        let &byte = literal.as_bytes().first()?;
        first[usize::from(byte)] = true;
    }
    Some(first)
}

/// The score of one text and the kind that weighs most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    /// Combined score in 0..1.
    pub score: f64,
    /// The kind with the heaviest evidence (one of [`KINDS`]).
    pub kind: &'static str,
}

/// The compiled library; built once per engine.
pub struct InjectionDetector {
    filter: PhraseFilter,
    phrases: Vec<ExactPhrase>,
    mention: Regex,
    discussion: Regex,
    /// Every marker in one set (one pass over the text), with its weight.
    markers: RegexSet,
    marker_weights: Vec<f64>,
    markdown_image: Regex,
    markdown_link: Regex,
}

impl std::fmt::Debug for InjectionDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InjectionDetector")
            .field("phrases", &self.phrases.len())
            .finish()
    }
}

/// A folded pattern: spaces match separator runs; whole words only.
fn folded_pattern(pattern: &str) -> String {
    let body = phrase_body(pattern);
    let tail = if pattern.ends_with(' ') || pattern.ends_with(':') || pattern.ends_with(")?") {
        ""
    } else {
        r"\b"
    };
    format!(r"\b(?:{body}){tail}")
}

/// A phrase with spaces matching separator runs, without word boundaries.
fn phrase_body(pattern: &str) -> String {
    pattern.replace(' ', r#"[ "]+"#)
}

impl InjectionDetector {
    /// Compiles the library. Fails only on a bug in the built-in patterns,
    /// reported as a config error rather than a panic.
    pub fn new() -> Result<InjectionDetector, ConfigError> {
        let patterns: Vec<&str> = PHRASES.iter().map(|(_, _, pattern)| *pattern).collect();
        let filter = PhraseFilter::new(&patterns)?;
        let mut phrases = Vec::with_capacity(PHRASES.len());
        for (i, (kind, weight, pattern)) in PHRASES.iter().enumerate() {
            let path = format!("injection.phrases[{i}]");
            phrases.push(ExactPhrase::new(*kind, *weight, pattern, path));
        }
        let markers = RegexSetBuilder::new(MARKERS.iter().map(|(_, pattern)| pattern))
            .size_limit(16 * 1024 * 1024)
            // Bounded like the phrase sets' (see `phrase_filter::CACHE_BYTES`).
            .dfa_size_limit(2 << 20)
            .build()
            .map_err(|err| ConfigError::new("injection", format!("built-in markers: {err}")))?;
        Ok(InjectionDetector {
            filter,
            phrases,
            mention: compile(&format!(r#"\b(?:{MENTION})[ "]*$"#))?,
            discussion: compile(&folded_pattern(DISCUSSION))?,
            markers,
            marker_weights: MARKERS.iter().map(|(weight, _)| *weight).collect(),
            // Unbounded on purpose: a bounded repetition of a Unicode class
            // is compiled as that many copies of it (`{1,2048}` made these
            // two regexes most of the filter's memory). Matching stays linear.
            markdown_image: compile(r"!\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)")?,
            markdown_link: compile(r"\[[^\]\n]*\]\(\s*<?(https?://[^\s)>]+)")?,
        })
    }

    /// Scores `text`; `None` when nothing at all matched.
    pub fn assess(&self, text: &str) -> Option<Assessment> {
        self.assess_view(&Normalized::new(text))
    }

    /// [`InjectionDetector::assess`] of a text the caller already
    /// normalized (the request path shares the view with the scanner).
    pub(crate) fn assess_view(&self, normalized: &Normalized<'_>) -> Option<Assessment> {
        let mut scores = [0.0f64; KINDS.len()];
        let text = normalized.original();
        let plain = normalized.text();
        let folded = fold(plain);
        let turned = self.score_phrases(&folded, &mut scores);
        self.score_markers(plain, &mut scores);
        self.score_exfiltration(plain, &mut scores);
        self.score_hidden(text, &mut scores);
        self.score_encoded(plain, &folded, turned, &mut scores);
        combine(&scores)
    }

    /// Phrase rules over a folded text; true when its rot13 may hold a
    /// phrase (see [`PhraseFilter::flag`]).
    fn score_phrases(&self, folded: &str, scores: &mut [f64; KINDS.len()]) -> bool {
        let mut flagged = [false; PHRASES.len()];
        let mut second = SecondPieceStarts::default();
        let turned = self.filter.flag_noting(folded, &mut flagged, &mut second);
        if !flagged.contains(&true) {
            return turned;
        }
        let discussion = self.discussion.is_match(folded);
        let candidates = self.phrases.iter().zip(flagged).enumerate();
        for (index, (phrase, _)) in candidates.filter(|(_, (_, f))| *f) {
            let mut best = phrase.best(folded, &second, index, |start| {
                if self.is_mention(folded, start) {
                    phrase.weight * MENTION_DISCOUNT
                } else {
                    phrase.weight
                }
            });
            if discussion {
                best *= DISCUSSION_DISCOUNT;
            }
            // Rules add up as independent evidence, within a kind too.
            if let Some(slot) = scores.get_mut(phrase.kind) {
                *slot = 1.0 - (1.0 - *slot) * (1.0 - best);
            }
        }
        turned
    }

    /// True when the words just before `start` announce a quotation.
    fn is_mention(&self, folded: &str, start: usize) -> bool {
        let mut from = start.saturating_sub(48);
        while !folded.is_char_boundary(from) {
            from += 1;
        }
        folded.get(from..start).is_some_and(|before| {
            self.mention.is_match(before.trim_end()) || {
                // A phrase opened by a quote right after a colon or "like".
                before.trim_end().ends_with('"') && before.contains(" like ")
            }
        })
    }

    fn score_markers(&self, plain: &str, scores: &mut [f64; KINDS.len()]) {
        if !marker_gate::may_hold_marker(plain) {
            return;
        }
        for index in self.markers.matches(plain).iter() {
            if let Some(weight) = self.marker_weights.get(index) {
                scores[ROLE] = scores[ROLE].max(*weight);
            }
        }
    }

    /// Markdown images (fetched without a click) and links whose URL
    /// carries data in its query.
    fn score_exfiltration(&self, plain: &str, scores: &mut [f64; KINDS.len()]) {
        // memchr (SIMD in wasm too) to each `]`, rare in prose; a one-shot
        // memmem would build a searcher per text.
        let bytes = plain.as_bytes();
        if !memchr::memchr_iter(b']', bytes).any(|at| bytes.get(at + 1) == Some(&b'(')) {
            return;
        }
        for (regex, carrying, bare) in [
            (&self.markdown_image, 0.85, 0.3),
            (&self.markdown_link, 0.55, 0.0),
        ] {
            for caps in regex.captures_iter(plain).take(64) {
                let Some(url) = caps.get(1) else { continue };
                let weight = if query_carries_data(url.as_str()) {
                    carrying
                } else if url.as_str().contains('?') {
                    bare
                } else {
                    0.0
                };
                scores[EXFILTRATION] = scores[EXFILTRATION].max(weight);
            }
        }
    }

    /// Unicode tag characters (U+E0020–U+E007E) spell ASCII no one sees.
    /// Normalization drops them, so this reads the ORIGINAL text.
    fn score_hidden(&self, original: &str, scores: &mut [f64; KINDS.len()]) {
        let hidden = decode_tag_text(original);
        if hidden.chars().filter(|c| !c.is_whitespace()).count() < MIN_HIDDEN_CHARS {
            return;
        }
        let mut inner = [0.0f64; KINDS.len()];
        // Hidden text gets no rot13 check of its own.
        let _ = self.score_phrases(&fold(&hidden), &mut inner);
        let inner_score = combine(&inner).map_or(0.0, |a| a.score);
        scores[HIDDEN] = scores[HIDDEN].max(1.0 - (1.0 - 0.8) * (1.0 - inner_score));
    }

    /// Base64, hex and rot13 payloads: decode and run the phrase library
    /// again. Only strong evidence inside counts (gibberish decodes often).
    /// `turned`: `folded`'s rot13 may hold a phrase.
    fn score_encoded(
        &self,
        plain: &str,
        folded: &str,
        turned: bool,
        scores: &mut [f64; KINDS.len()],
    ) {
        let mut decoded_texts: Vec<String> = Vec::new();
        for run in blobs::base64_runs(plain).take(MAX_BLOBS) {
            if let Some(blob) = plain.get(run).filter(|b| b.len() <= MAX_BLOB_BYTES)
                && let Some(text) = base64::decode(blob, MAX_BLOB_BYTES).and_then(printable_text)
            {
                decoded_texts.push(text);
            }
        }
        for run in blobs::hex_runs(plain).take(MAX_BLOBS) {
            if let Some(blob) = plain.get(run).filter(|b| b.len() <= MAX_BLOB_BYTES)
                && let Some(text) = decode_hex(blob).and_then(printable_text)
            {
                decoded_texts.push(text);
            }
        }
        let mut best = 0.0f64;
        for text in &decoded_texts {
            let mut inner = [0.0f64; KINDS.len()];
            let _ = self.score_phrases(&fold(text), &mut inner);
            best = best.max(combine(&inner).map_or(0.0, |a| a.score));
        }
        // rot13 only turns Latin letters; a real phrase in it is no accident.
        if turned && folded.bytes().any(|b| b.is_ascii_alphabetic()) {
            let mut inner = [0.0f64; KINDS.len()];
            let _ = self.score_phrases(&rot13(folded), &mut inner);
            let strong = inner.iter().copied().fold(0.0f64, f64::max);
            if strong >= 0.75 {
                best = best.max(strong);
            }
        }
        if best >= 0.5 {
            scores[ENCODED] = scores[ENCODED].max((best + 0.1).min(0.99));
        }
    }
}

/// Independent evidence across kinds: `1 - Π(1 - s)`.
fn combine(scores: &[f64; KINDS.len()]) -> Option<Assessment> {
    let mut rest = 1.0f64;
    let mut top = (0.0f64, 0usize);
    for (i, s) in scores.iter().enumerate() {
        let s = s.clamp(0.0, 0.99);
        rest *= 1.0 - s;
        if s > top.0 {
            top = (s, i);
        }
    }
    if top.0 <= 0.0 {
        return None;
    }
    Some(Assessment {
        score: (1.0 - rest).min(0.99),
        kind: KINDS.get(top.1).copied().unwrap_or("instruction_override"),
    })
}

/// Turns ASCII letters by 13; bytes, not chars: only ASCII changes, so
/// UTF-8 sequences pass through whole and stay valid.
fn rot13(text: &str) -> String {
    let turned: Vec<u8> = text.bytes().map(phrase_filter::rot13_byte).collect();
    String::from_utf8(turned).unwrap_or_default()
}

/// The ASCII that tag characters spell, skipping emoji flag tag sequences
/// (U+1F3F4 followed by tags, e.g. the flag of Scotland).
fn decode_tag_text(text: &str) -> String {
    let mut out = String::new();
    // Every tag character is encoded from a 0xF3 lead byte (F3 A0 80 80 to
    // F3 A0 81 BF): a SIMD search for it spares almost every text the char
    // walk (1.6 % of a new real-text request, callgrind).
    if memchr::memchr(0xF3, text.as_bytes()).is_none() {
        return out;
    }
    let mut in_flag = false;
    let mut prev: Option<char> = None;
    for c in text.chars() {
        let code = u32::from(c);
        if (0xE0000..=0xE007F).contains(&code) {
            if prev == Some('\u{1F3F4}') {
                in_flag = true;
            }
            if !in_flag
                && let Some(ascii) = char::from_u32(code - 0xE0000)
                && (' '..='~').contains(&ascii)
            {
                out.push(ascii);
            }
            if code == 0xE007F {
                in_flag = false;
            }
        } else {
            in_flag = false;
        }
        prev = Some(c);
    }
    out
}

fn decode_hex(blob: &str) -> Option<Vec<u8>> {
    let bytes = blob.as_bytes();
    bytes
        .chunks(2)
        .map(|pair| {
            let hi = (*pair.first()? as char).to_digit(16)?;
            let lo = (*pair.get(1)? as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// Decoded bytes that read as text: UTF-8, at least 12 characters, mostly
/// printable and with spaces (words), not binary that happens to decode.
fn printable_text(bytes: Vec<u8>) -> Option<String> {
    let text = String::from_utf8(bytes).ok()?;
    let total = text.chars().count();
    if total < 12 {
        return None;
    }
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .count();
    let spaces = text.chars().filter(|c| *c == ' ').count();
    (printable * 100 >= total * 95 && spaces >= 2).then_some(text)
}

/// A URL query that carries data: a long or template-like value, or a value
/// under a name typical of exfiltration.
fn query_carries_data(url: &str) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    query.split('&').any(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or(("", pair));
        let name = name.to_ascii_lowercase();
        let templated = ['{', '}', '<', '>', '$', '[', ']', '\u{2026}']
            .iter()
            .any(|c| value.contains(*c))
            || value.contains("...")
            || value.contains("%7B")
            || value.contains("%3C");
        let exfil_name = matches!(
            name.as_str(),
            "q" | "data"
                | "d"
                | "secret"
                | "secrets"
                | "token"
                | "key"
                | "c"
                | "conv"
                | "chat"
                | "history"
                | "msg"
                | "m"
                | "payload"
                | "p"
                | "leak"
                | "info"
                | "email"
                | "password"
                | "prompt"
                | "content"
                | "text"
                | "x"
        );
        templated || value.len() >= 32 || (exfil_name && !value.is_empty())
    })
}

mod blobs;
mod fold;
mod marker_gate;
mod phrase_filter;
#[cfg(test)]
mod tests;
