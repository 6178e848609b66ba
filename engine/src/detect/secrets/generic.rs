// SPDX-License-Identifier: Apache-2.0
//! Generic secrets: `password=…`, `"api_key": "…"`, `token: …` assignments
//! and `Authorization: Bearer …` / `Basic …` values. Their shape says
//! nothing, so each value must pass the entropy gate and the stand-in checks,
//! and must not look like code (`get_token()`, `os.environ[…]`).

use super::placeholder::{contains_ci, is_stand_in};
use super::{boundary_before, emit};
use crate::detect::base64;
use crate::detect::catalog::TypeInfo;
use crate::detect::entropy::shannon;
use crate::detect::{Candidate, priority};
use crate::finding::Category;

pub(super) const PASSWORD: &str = "password";
pub(super) const GENERIC_SECRET: &str = "generic_secret";
pub(super) const BEARER_TOKEN: &str = "bearer_token";
pub(super) const BASIC_AUTH: &str = "basic_auth";

/// Shortest assigned value considered.
const MIN_VALUE: usize = 6;
/// Longest assigned value considered.
const MAX_VALUE: usize = 512;
/// Shortest bearer token considered.
const MIN_BEARER: usize = 16;
/// Longest bearer token or Basic value considered.
const MAX_CREDENTIAL: usize = 4096;
/// Longest identifier around a keyword (`DB_PASSWORD`, `clientSecretValue`).
const MAX_IDENT: usize = 48;

/// What an assignment keyword reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AssignKind {
    Password,
    Secret,
}

/// A keyword that makes `keyword… = value` a secret assignment.
#[derive(Debug)]
pub(super) struct Keyword {
    /// Lower-case prefilter literal.
    pub word: &'static str,
    pub kind: AssignKind,
    /// Lower-case letters allowed right after the word (`pass` → `word`);
    /// any other lower-case continuation (`tokenizer`, `passenger`) is
    /// another word.
    pub tails: &'static [&'static str],
}

pub(super) const KEYWORDS: &[Keyword] = &[
    Keyword {
        word: "pass",
        kind: AssignKind::Password,
        tails: &["word", "wd", "phrase", "code"],
    },
    Keyword {
        word: "pwd",
        kind: AssignKind::Password,
        tails: &[],
    },
    Keyword {
        word: "secret",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "token",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "apikey",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "api_key",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "api-key",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "access_key",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "accesskey",
        kind: AssignKind::Secret,
        tails: &[],
    },
    Keyword {
        word: "credential",
        kind: AssignKind::Secret,
        tails: &["s"],
    },
];

/// Last words of a key name that make it metadata, not the secret itself
/// (`token_type`, `password_min_length`, `secret_name`, `api_key_header`).
const METADATA_SUFFIXES: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "type",
    "name",
    "id",
    "ids",
    "length",
    "len",
    "count",
    "limit",
    "max",
    "min",
    "size",
    "expiry",
    "expires",
    "expiration",
    "at",
    "in",
    "ttl",
    "policy",
    "field",
    "prompt",
    "label",
    "env",
    "var",
    "header",
    "version",
    "format",
    "hint",
    "mode",
    "enabled",
    "required",
    "store",
    "manager",
    "provider",
    "source",
    "timeout",
    "param",
    "index",
    "usage",
    "rotation",
    "regex",
    "pattern",
    "ref",
    "arn",
    "help",
    "description",
];

pub(super) fn types() -> Vec<TypeInfo> {
    let info = |id, validator, example| TypeInfo {
        id,
        category: Category::Secret,
        validator,
        example,
    };
    vec![
        info(PASSWORD, "entropy", "password=Xk9#pQ2zR7!mW4vL"),
        info(
            GENERIC_SECRET,
            "entropy",
            "api_key=\"9fQ2xL7pZ3vR8mK1wT6y\"",
        ),
        info(
            BEARER_TOKEN,
            "entropy",
            "Authorization: Bearer q8Zr3LmX9vT2pK7wN4sBf1Hd",
        ),
        info(
            BASIC_AUTH,
            "base64-decode",
            "Authorization: Basic ZGVwbG95OlRxOHZOM3hMbTJQeg==",
        ),
    ]
}

/// The enabled generic detectors and their entropy gate.
pub(super) struct Generic {
    password: bool,
    generic_secret: bool,
    bearer: bool,
    basic: bool,
    min_entropy: f64,
}

impl Generic {
    pub(super) fn new(enabled: impl Fn(&str) -> bool, min_entropy: f64) -> Self {
        Generic {
            password: enabled(PASSWORD),
            generic_secret: enabled(GENERIC_SECRET),
            bearer: enabled(BEARER_TOKEN),
            basic: enabled(BASIC_AUTH),
            min_entropy,
        }
    }

    pub(super) fn wants(&self, kind: AssignKind) -> bool {
        match kind {
            AssignKind::Password => self.password,
            AssignKind::Secret => self.generic_secret,
        }
    }

    pub(super) fn wants_bearer(&self) -> bool {
        self.bearer
    }

    pub(super) fn wants_basic(&self) -> bool {
        self.basic
    }

    /// `…keyword…<sep>value` where the keyword occupies `start..end`.
    pub(super) fn assignment(
        &self,
        text: &str,
        start: usize,
        end: usize,
        keyword: &Keyword,
        out: &mut Vec<Candidate>,
    ) {
        if !self.wants(keyword.kind) {
            return;
        }
        let Some((value_start, value_end)) = assigned_value(text, start, end, keyword) else {
            return;
        };
        let Some(value) = text.get(value_start..value_end) else {
            return;
        };
        if !self.value_is_secret(value, keyword) {
            return;
        }
        let kind = match keyword.kind {
            AssignKind::Password => PASSWORD,
            AssignKind::Secret => GENERIC_SECRET,
        };
        emit(out, value_start, value_end, kind, 0.7, priority::GENERIC);
    }

    fn value_is_secret(&self, value: &str, keyword: &Keyword) -> bool {
        let len = value.chars().count();
        if !(MIN_VALUE..=MAX_VALUE).contains(&len)
            || is_stand_in(value)
            || contains_ci(value, keyword.word)
            || value.contains("://")
            || value.starts_with(['/', '.', '~'])
            || shannon(value) < self.min_entropy
        {
            return false;
        }
        // A password may be anything that passes the gate. Keys and tokens
        // are machine-made: a digit or mixed case, and not only digits
        // (`max_tokens=4096`, `{"token": "authentication"}` are not secrets).
        keyword.kind == AssignKind::Password
            || (looks_machine_made(value) && !value.bytes().all(|b| b.is_ascii_digit()))
    }

    /// `Bearer <token>` starting at `start` (the `bearer` keyword).
    pub(super) fn bearer(&self, text: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
        if !self.bearer || !boundary_before(text, start, "") {
            return;
        }
        let Some((value_start, value_end)) = scheme_value(text, end, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        }) else {
            return;
        };
        let Some(value) = text.get(value_start..value_end) else {
            return;
        };
        if value.trim_end_matches('=').len() < MIN_BEARER
            || !looks_machine_made(value)
            || is_stand_in(value)
            || shannon(value) < self.min_entropy
        {
            return;
        }
        emit(
            out,
            value_start,
            value_end,
            BEARER_TOKEN,
            0.75,
            priority::GENERIC,
        );
    }

    /// `Basic <base64 of user:password>` starting at `start`.
    pub(super) fn basic(&self, text: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
        if !self.basic || !boundary_before(text, start, "") {
            return;
        }
        let Some((value_start, value_end)) = scheme_value(text, end, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/')
        }) else {
            return;
        };
        let Some(value) = text.get(value_start..value_end) else {
            return;
        };
        if value.len() < 8 || !decodes_to_user_password(value) {
            return;
        }
        emit(
            out,
            value_start,
            value_end,
            BASIC_AUTH,
            0.85,
            priority::GENERIC,
        );
    }
}

/// Has a digit, or both letter cases: generated, unlike a word of prose.
fn looks_machine_made(value: &str) -> bool {
    value.bytes().any(|b| b.is_ascii_digit())
        || (value.bytes().any(|b| b.is_ascii_uppercase())
            && value.bytes().any(|b| b.is_ascii_lowercase()))
}

/// After an auth scheme ending at `end`: blanks, then a run of `is_char`
/// bytes and `=` padding, not glued to more text.
fn scheme_value(text: &str, end: usize, is_char: impl Fn(u8) -> bool) -> Option<(usize, usize)> {
    let rest = text.get(end..)?;
    let blanks = rest
        .bytes()
        .take_while(|&b| b == b' ' || b == b'\t')
        .count();
    if blanks == 0 {
        return None;
    }
    let body = rest.get(blanks..)?;
    let chars = body
        .bytes()
        .take(MAX_CREDENTIAL + 1)
        .take_while(|&b| is_char(b))
        .count();
    let padding = body
        .get(chars..)?
        .bytes()
        .take(2)
        .take_while(|&b| b == b'=')
        .count();
    let len = chars + padding;
    if chars == 0 || chars > MAX_CREDENTIAL {
        return None;
    }
    let glued = body
        .get(len..)?
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '=' || c == '_');
    if glued {
        return None;
    }
    Some((end + blanks, end + blanks + len))
}

/// The base64 `value` decodes to printable `user:password` with both parts
/// present and the password not a stand-in.
fn decodes_to_user_password(value: &str) -> bool {
    let Some(bytes) = base64::decode(value, MAX_CREDENTIAL) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(bytes) else {
        return false;
    };
    if decoded.chars().any(char::is_control) {
        return false;
    }
    let Some((user, password)) = decoded.split_once(':') else {
        return false;
    };
    !user.is_empty()
        && !password.is_empty()
        && !is_stand_in(password)
        && !password.eq_ignore_ascii_case(user)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Finds the value assigned to the key containing the keyword at
/// `start..end`: `key = v`, `key: v`, `"key": "v"`, `key := v`,
/// `'key' => 'v'`, `<key>v</key>`. `None` for anything else.
fn assigned_value(
    text: &str,
    start: usize,
    end: usize,
    keyword: &Keyword,
) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    // The key name around the keyword.
    let tail = text.get(end..)?;
    let lower_tail = tail
        .bytes()
        .take(16)
        .take_while(u8::is_ascii_lowercase)
        .count();
    if lower_tail > 0 && !keyword.tails.contains(&tail.get(..lower_tail)?) {
        return None;
    }
    let ident_tail = lower_tail
        + tail
            .get(lower_tail..)?
            .bytes()
            .take(MAX_IDENT)
            .take_while(|&b| is_ident_byte(b))
            .count();
    let ident_start = start
        - text
            .get(..start)?
            .bytes()
            .rev()
            .take(MAX_IDENT)
            .take_while(|&b| is_ident_byte(b))
            .count();
    let key = text.get(ident_start..end + ident_tail)?;
    let is_metadata = || {
        let word = last_word(key);
        METADATA_SUFFIXES
            .iter()
            .any(|suffix| suffix.eq_ignore_ascii_case(word))
    };
    let mut i = end + ident_tail;

    // XML element: `<password>value</password>`.
    if ident_start > 0 && bytes.get(ident_start - 1) == Some(&b'<') && bytes.get(i) == Some(&b'>') {
        let value_start = i + 1;
        let len = text
            .get(value_start..)?
            .bytes()
            .take(MAX_VALUE + 1)
            .take_while(|&b| b != b'<' && b != b'\n')
            .count();
        if bytes.get(value_start + len) != Some(&b'<') || is_metadata() {
            return None;
        }
        return Some((value_start, value_start + len));
    }

    // The key's closing quote (`"password":`, `\"password\":`, `'password' =>`).
    if bytes.get(i) == Some(&b'\\') && matches!(bytes.get(i + 1), Some(b'"' | b'\'')) {
        i += 2;
    } else if matches!(bytes.get(i), Some(b'"' | b'\'' | b'`')) {
        i += 1;
    }
    i += skip_blanks(bytes, i);
    match (bytes.get(i), bytes.get(i + 1)) {
        (Some(b'='), Some(b'=' | b'~')) | (Some(b':'), Some(b':')) => return None,
        (Some(b'='), Some(b'>')) | (Some(b':'), Some(b'=')) => i += 2,
        (Some(b'=' | b':'), _) => i += 1,
        _ => return None,
    }
    // Checked once an assignment is certain: most keyword hits (`token` in
    // prose) are not one.
    if is_metadata() {
        return None;
    }
    i += skip_blanks(bytes, i);
    quoted_value(text, i).or_else(|| bare_value(text, i))
}

fn skip_blanks(bytes: &[u8], at: usize) -> usize {
    bytes
        .get(at..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// A value in quotes (optionally `\"`-escaped quotes), on one line, without
/// blanks (a quoted phrase is a prompt or prose, not a secret).
fn quoted_value(text: &str, at: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let (escaped, quote) = match (bytes.get(at), bytes.get(at + 1)) {
        (Some(b'\\'), Some(&q @ (b'"' | b'\''))) => (true, q),
        (Some(&q @ (b'"' | b'\'' | b'`')), _) => (false, q),
        _ => return None,
    };
    let value_start = at + if escaped { 2 } else { 1 };
    let rest = text.get(value_start..)?;
    let mut prev = 0u8;
    for (i, b) in rest.bytes().enumerate().take(MAX_VALUE + 2) {
        if b == b'\n' || b == b'\r' || b == b' ' || b == b'\t' {
            return None;
        }
        if b == quote && (!escaped || prev == b'\\') {
            let len = if escaped { i - 1 } else { i };
            return Some((value_start, value_start + len));
        }
        prev = b;
    }
    None
}

/// An unquoted value up to a blank or delimiter, unless it reads as code:
/// a call or index (`get_token()`, `os.environ["X"]`), a dotted path
/// (`settings.API_KEY`) or an identifier (`user_input`, `getToken`).
fn bare_value(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = text.get(at..)?;
    let len = rest
        .char_indices()
        .take_while(|&(i, c)| i <= MAX_VALUE && !ends_bare_value(c))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    let value = rest.get(..len)?;
    if rest
        .get(len..)
        .is_some_and(|r| r.starts_with(['(', '[', '{', '<']))
        || is_dotted_path(value)
        || is_identifier(value)
    {
        return None;
    }
    let value = value.trim_end_matches('.');
    Some((at, at + value.len()))
}

fn ends_bare_value(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | ','
                | ';'
                | '&'
                | '|'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '\\'
        )
}

/// `os.environ`, `self.token`, `config.api_key`.
fn is_dotted_path(value: &str) -> bool {
    value.contains('.')
        && value.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        })
}

/// `user_input`, `get_token`, `getToken`, `userPassword`: a variable name.
fn is_identifier(value: &str) -> bool {
    let snake = value.contains('_')
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    snake || is_camel_case(value)
}

/// `getToken`, `userPasswordHash`: lower-case words joined by capitals, each
/// word at least two letters long (random `xKpQzR` is not).
fn is_camel_case(value: &str) -> bool {
    let mut words = value.split(|c: char| c.is_ascii_uppercase());
    let first_ok = words
        .next()
        .is_some_and(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()));
    let humps = value.bytes().filter(u8::is_ascii_uppercase).count();
    first_ok
        && humps > 0
        && words.all(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
}

/// The last word of a key name (snake, kebab, dotted or camel case), as
/// written: `DB_PASSWORD` → `PASSWORD`, `tokenType` → `Type`,
/// `api-key.file` → `file`. Callers compare it ignoring ASCII case.
fn last_word(key: &str) -> &str {
    let mut start = 0;
    let mut prev_lower = false;
    for (i, c) in key.char_indices() {
        if matches!(c, '_' | '-' | '.') {
            start = i + 1;
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower {
            start = i;
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    key.get(start..).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_word_splits_snake_kebab_dot_and_camel() {
        assert_eq!(last_word("DB_PASSWORD"), "PASSWORD");
        assert_eq!(last_word("tokenType"), "Type");
        assert_eq!(last_word("api-key.file"), "file");
        assert_eq!(last_word("password_min_length"), "length");
        assert_eq!(last_word("secret"), "secret");
    }

    #[test]
    fn code_values_are_recognized() {
        assert!(is_dotted_path("os.environ"));
        assert!(is_dotted_path("settings.API_KEY"));
        assert!(!is_dotted_path("Xk9.pQ2#zR7"));
        assert!(is_identifier("user_input"));
        assert!(is_identifier("getToken"));
        assert!(!is_identifier("xK9pQ2zR7mW4vL"));
        assert!(!is_identifier("Tq8vN3xLm2Pz"));
        assert!(!is_identifier("xKpQzRmWvL"));
        assert!(is_identifier("userPasswordHash"));
    }
}
