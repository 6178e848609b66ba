// SPDX-License-Identifier: Apache-2.0
//! Structured secrets found by parsing from a marker: JWTs (`eyJ`), PEM
//! private keys (`-----BEGIN `) and credentials in URLs (`://`).

use super::placeholder::is_stand_in;
use super::{boundary_before, emit, floor_boundary};
use crate::detect::base64;
use crate::detect::catalog::TypeInfo;
use crate::detect::entropy::shannon;
use crate::detect::{Candidate, pattern, priority};
use crate::error::ConfigError;
use crate::finding::Category;
use regex::Regex;

pub(super) const JWT: &str = "jwt";
pub(super) const PRIVATE_KEY: &str = "private_key";
pub(super) const PGP_PRIVATE_KEY: &str = "pgp_private_key";
pub(super) const URL_CREDENTIALS: &str = "url_credentials";
pub(super) const DATABASE_URI: &str = "database_uri";

/// Longest JWT looked at; longer runs of token characters are not JWTs.
const MAX_JWT: usize = 16 * 1024;
/// How far an END line is searched for after its BEGIN line.
const MAX_PEM: usize = 256 * 1024;
/// Fewer base64 characters than this in a PEM body: a doc stand-in.
const MIN_PEM_BODY: usize = 32;
/// Real key material is near-uniform base64 (about 6 bits per char).
const MIN_PEM_ENTROPY: f64 = 3.5;
/// Longest `user:pass@host` part of a URL looked at.
const MAX_AUTHORITY: usize = 512;

/// URL schemes reported as `database_uri` (before any `+driver` suffix).
const DATABASE_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "mssql",
    "sqlserver",
    "oracle",
    "cockroachdb",
    "clickhouse",
    "couchbase",
    "neo4j",
];

pub(super) fn types() -> Vec<TypeInfo> {
    let info = |id, validator, example| TypeInfo {
        id,
        category: Category::Secret,
        validator,
        example,
    };
    vec![
        info(
            JWT,
            "jwt-header",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1LTQ4MjEiLCJyb2xlIjoiZWRpdG9yIiwiaWF0IjoxNzE3MTcxNzE3fQ.q3JvR9Lk2mXp7VtZb8NwYc4HsQe1FgUaDi6Ko0Pr5Tn",
        ),
        info(
            PRIVATE_KEY,
            "pem-block",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAv3q8Zr2LmX9vT2pK7wN4sBgH5cJ1dQe6fYtU0iO3aPzSxWkR\nq4Nn7Vb2Hc9Xm1Lp8Ks3Jd6Fg0Rt5Yw2Ze4Ua7Ib1Oc3Pd9Qe2Rf6Sg8Th0Ui4V\n-----END RSA PRIVATE KEY-----",
        ),
        info(
            PGP_PRIVATE_KEY,
            "pem-block",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGZ3kXoBCADq7Vb2Hc9Xm1Lp8Ks3Jd6Fg0Rt5Yw2Ze4Ua7Ib1Oc3Pd9Qe2\nRf6Sg8Th0Ui4Vq3JvR9Lk2mXp7VtZb8NwYc4HsQe1FgUaDi6Ko0Pr5Tn\n=Xq3Z\n-----END PGP PRIVATE KEY BLOCK-----",
        ),
        info(
            URL_CREDENTIALS,
            "url-userinfo",
            "https://deploy:Tq8vN3xLm2Pz@git.internal.test/team/app.git",
        ),
        info(
            DATABASE_URI,
            "url-userinfo",
            "postgresql://app_rw:V7p!Rz2qLx9K@db-primary.internal.test:5432/orders",
        ),
    ]
}

/// The enabled structured detectors.
pub(super) struct Structured {
    jwt: bool,
    private_key: bool,
    pgp_private_key: bool,
    url_credentials: bool,
    database_uri: bool,
    pem_begin: Regex,
}

impl Structured {
    pub(super) fn new(enabled: impl Fn(&str) -> bool) -> Result<Self, ConfigError> {
        Ok(Structured {
            jwt: enabled(JWT),
            private_key: enabled(PRIVATE_KEY),
            pgp_private_key: enabled(PGP_PRIVATE_KEY),
            url_credentials: enabled(URL_CREDENTIALS),
            database_uri: enabled(DATABASE_URI),
            pem_begin: pattern::compile(
                r"^-----BEGIN ((?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?)-----",
                "secrets.private_key",
            )?,
        })
    }

    pub(super) fn wants_jwt(&self) -> bool {
        self.jwt
    }

    pub(super) fn wants_pem(&self) -> bool {
        self.private_key || self.pgp_private_key
    }

    pub(super) fn wants_url(&self) -> bool {
        self.url_credentials || self.database_uri
    }

    /// A JWS (`header.payload.signature`) or JWE (five parts) starting at
    /// `start`, whose header decodes to a JSON object with `alg`.
    pub(super) fn jwt(&self, text: &str, start: usize, out: &mut Vec<Candidate>) {
        if !self.jwt || !boundary_before(text, start, "-.") {
            return;
        }
        let Some(rest) = text.get(start..) else {
            return;
        };
        let len = rest
            .bytes()
            .take(MAX_JWT + 1)
            .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        if len > MAX_JWT {
            return;
        }
        let mut token = rest.get(..len).unwrap_or("");
        // A sentence-ending period is not an extra, empty JWT part.
        while token.ends_with('.') && token.matches('.').count() > 2 {
            token = token.get(..token.len() - 1).unwrap_or("");
        }
        let parts: Vec<&str> = token.split('.').collect();
        let shaped = match parts.as_slice() {
            [header, payload, _signature] => header.len() >= 10 && payload.len() >= 2,
            [header, _, _, _, _] => header.len() >= 10,
            _ => false,
        };
        if shaped && parts.first().is_some_and(|h| header_has_alg(h)) {
            emit(
                out,
                start,
                start + token.len(),
                JWT,
                0.95,
                priority::STRUCTURED_SECRET,
            );
        }
    }

    /// A PEM private key block, from its BEGIN line through its END line, or
    /// through the last body line when the END line is missing (truncated).
    pub(super) fn pem(&self, text: &str, start: usize, out: &mut Vec<Candidate>) {
        let Some(rest) = text.get(start..) else {
            return;
        };
        let Some(caps) = self.pem_begin.captures(rest) else {
            return;
        };
        let (Some(head), Some(label)) = (caps.get(0), caps.get(1)) else {
            return;
        };
        let label = label.as_str();
        let kind = if label.starts_with("PGP ") {
            PGP_PRIVATE_KEY
        } else {
            PRIVATE_KEY
        };
        if (kind == PGP_PRIVATE_KEY && !self.pgp_private_key)
            || (kind == PRIVATE_KEY && !self.private_key)
        {
            return;
        }
        let body_start = head.end();
        let search_end = floor_boundary(rest, body_start.saturating_add(MAX_PEM));
        let search = rest.get(body_start..search_end).unwrap_or("");
        // A block ends before the next one starts: this also keeps the work
        // linear when a text holds many BEGIN lines without END lines.
        let search = search
            .find("-----BEGIN")
            .and_then(|next| search.get(..next))
            .unwrap_or(search);
        let end_line = format!("-----END {label}-----");
        let (body, block_end) = match search.find(&end_line) {
            Some(at) => (
                search.get(..at).unwrap_or(""),
                body_start + at + end_line.len(),
            ),
            None => {
                let body_len = truncated_body_len(search);
                (search.get(..body_len).unwrap_or(""), body_start + body_len)
            }
        };
        if !is_real_pem_body(body) {
            return;
        }
        emit(
            out,
            start,
            start + block_end,
            kind,
            0.99,
            priority::STRUCTURED_SECRET,
        );
    }

    /// `scheme://user:password@host…`: reports the password.
    pub(super) fn url(&self, text: &str, sep: usize, out: &mut Vec<Candidate>) {
        let Some(before) = text.get(..sep) else {
            return;
        };
        let scheme_len = before
            .bytes()
            .rev()
            .take(33)
            .take_while(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-'))
            .count();
        if scheme_len == 0 || scheme_len > 32 {
            return;
        }
        let scheme_start = sep - scheme_len;
        let scheme = before.get(scheme_start..).unwrap_or("");
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return;
        }
        // Only the 5 bytes before the scheme: lower-casing all the text
        // before every `://` made a long text cost quadratic time.
        let jdbc = before
            .as_bytes()
            .get(..scheme_start)
            .and_then(|b| b.get(b.len().checked_sub(5)?..))
            .is_some_and(|tail| tail.eq_ignore_ascii_case(b"jdbc:"));
        let base = scheme.split('+').next().unwrap_or("").to_ascii_lowercase();
        let kind = if jdbc || DATABASE_SCHEMES.contains(&base.as_str()) {
            DATABASE_URI
        } else {
            URL_CREDENTIALS
        };
        if (kind == DATABASE_URI && !self.database_uri)
            || (kind == URL_CREDENTIALS && !self.url_credentials)
        {
            return;
        }
        let auth_start = sep + 3;
        let Some(after) = text.get(auth_start..) else {
            return;
        };
        let auth_len = after
            .char_indices()
            .take_while(|&(i, c)| i < MAX_AUTHORITY && !ends_authority(c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let authority = after.get(..auth_len).unwrap_or("");
        let Some(at) = authority.rfind('@') else {
            return;
        };
        let host = authority.get(at + 1..).unwrap_or("");
        if !host.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[') {
            return;
        }
        let userinfo = authority.get(..at).unwrap_or("");
        let Some((user, password)) = userinfo.split_once(':') else {
            return;
        };
        if password.is_empty()
            || is_stand_in(password)
            || password.eq_ignore_ascii_case(user)
            || password.contains(char::is_whitespace)
        {
            return;
        }
        let pass_start = auth_start + user.len() + 1;
        let score = if kind == DATABASE_URI { 0.95 } else { 0.9 };
        emit(
            out,
            pass_start,
            pass_start + password.len(),
            kind,
            score,
            priority::STRUCTURED_SECRET,
        );
    }
}

/// Characters that end a URL's authority in running text.
fn ends_authority(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>' | '\\' | '|'
        )
}

/// The JWT header `part` is base64url JSON with an `alg` member.
fn header_has_alg(part: &str) -> bool {
    let Some(bytes) = base64::decode(part, 2048) else {
        return false;
    };
    match crate::payload::parse_value(&bytes, usize::MAX) {
        Some(serde_json::Value::Object(map)) => map.get("alg").is_some_and(|v| v.is_string()),
        _ => false,
    }
}

/// A PEM body is real when it holds enough varied base64: doc stand-ins
/// (`<key>`, `MIIE...`, `xxxx`) do not.
fn is_real_pem_body(body: &str) -> bool {
    let base64: String = body
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/'))
        .collect();
    if base64.len() < MIN_PEM_BODY || body.contains('<') {
        return false;
    }
    let abbreviated = body.contains("...") || body.contains('\u{2026}');
    if abbreviated && base64.len() < 2 * MIN_PEM_BODY {
        return false;
    }
    shannon(&base64) >= MIN_PEM_ENTROPY
}

/// Length of the body of a PEM block whose END line is missing: the lines
/// (real or `\n`-escaped) that look like base64 or `Header: value`, up to
/// the first line of prose.
fn truncated_body_len(search: &str) -> usize {
    let mut end = 0;
    let mut pos = 0;
    while pos < search.len() {
        let rest = search.get(pos..).unwrap_or("");
        let (line_len, sep_len) = match (rest.find('\n'), rest.find("\\n")) {
            (Some(a), Some(b)) if b < a => (b, 2),
            (Some(a), _) => (a, 1),
            (None, Some(b)) => (b, 2),
            (None, None) => (rest.len(), 0),
        };
        let raw = rest.get(..line_len).unwrap_or("");
        let line = raw.trim();
        if !line.is_empty() {
            if !(is_base64_line(line) || is_header_line(line)) {
                // The body may end inside a quoted string: `…AbC", "next": …`.
                let indent = raw.len() - raw.trim_start().len();
                let run = line.bytes().take_while(|&b| is_base64_byte(b)).count();
                let closes = line
                    .get(run..)
                    .is_some_and(|r| r.starts_with(['"', '\'', '`', ',', ';', ')']));
                if run > 0 && closes {
                    end = pos + indent + run;
                }
                break;
            }
            end = pos + raw.trim_end().len();
        }
        if sep_len == 0 {
            break;
        }
        pos += line_len + sep_len;
    }
    end
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn is_base64_line(line: &str) -> bool {
    line.bytes().all(is_base64_byte)
}

/// `Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, `Comment: …`, `Version: …`.
fn is_header_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
    })
}
