// SPDX-License-Identifier: Apache-2.0
//! Helpers shared by the fuzz targets: how an input is cut into a split
//! plan and a payload, and the engines and vaults the targets run against.
//!
//! Input layout of the targets that split a stream: the first byte `n`
//! says how many control bytes follow (`n % 16`); the control bytes are the
//! chunk lengths (`1 + b % 64` each, cycled); the rest is the payload. The
//! fuzzer thus controls both the bytes and every split point.

use shroud_engine::Engine;
use shroud_engine::vault::Vault;
use std::sync::OnceLock;

/// Control bytes and payload of a split-plan input.
pub struct Split<'a> {
    /// Chunk lengths (raw; see [`chunk_lengths`]).
    pub control: &'a [u8],
    /// The bytes to feed.
    pub payload: &'a [u8],
}

impl<'a> Split<'a> {
    /// Cuts `data` as described in the crate docs.
    pub fn parse(data: &'a [u8]) -> Split<'a> {
        let Some((&n, rest)) = data.split_first() else {
            return Split {
                control: &[],
                payload: &[],
            };
        };
        let n = usize::from(n % 16).min(rest.len());
        let (control, payload) = rest.split_at(n);
        Split { control, payload }
    }

    /// A control byte by index (0 when there are none), for targets that
    /// take options from the control bytes too.
    pub fn option(&self, index: usize) -> u8 {
        self.control.get(index).copied().unwrap_or(0)
    }
}

/// The chunk lengths for a payload of `len` bytes: the control bytes
/// cycled, each `1 + b % 64`; with no control bytes, one chunk.
pub fn chunk_lengths(control: &[u8], len: usize) -> Vec<usize> {
    let mut out = Vec::new();
    if control.is_empty() {
        out.push(len);
        return out;
    }
    let mut done = 0;
    for b in control.iter().cycle() {
        if done >= len {
            break;
        }
        let n = (1 + usize::from(*b % 64)).min(len - done);
        out.push(n);
        done += n;
    }
    out
}

/// `bytes` cut into chunks by `control`.
pub fn byte_chunks<'b>(bytes: &'b [u8], control: &[u8]) -> Vec<&'b [u8]> {
    let mut rest = bytes;
    let mut out = Vec::new();
    for n in chunk_lengths(control, bytes.len()) {
        let (head, tail) = rest.split_at(n);
        out.push(head);
        rest = tail;
    }
    out
}

/// `text` cut into chunks by `control`, each cut moved forward to the next
/// char boundary (text deltas are always whole UTF-8).
pub fn str_chunks<'t>(text: &'t str, control: &[u8]) -> Vec<&'t str> {
    let mut out = Vec::new();
    let mut start = 0;
    for n in chunk_lengths(control, text.len()) {
        if start >= text.len() {
            break;
        }
        let mut end = (start + n).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The engine with the documented defaults (`{}`), built once.
pub fn default_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(b"{}").expect("the default config compiles"))
}

/// Config of the round-trip target: every category masked (so every
/// finding is reversible), injection only reported, no output redaction
/// (the response carries only what the request sent).
pub const MASK_ALL_CONFIG: &str = r#"{
  "profiles": {
    "default": {
      "actions": {"secret": "mask", "pii": "mask", "corporate": "mask",
                  "custom": "mask", "injection": "allow"},
      "sanitize_responses": false,
      "rehydrate_tool_arguments": true,
      "validate_requests": false
    }
  },
  "detectors": {
    "corporate": {"keywords": ["Nightjar"], "internal_domains": ["*.corp.example"],
                  "project_codes": ["PRJ-[0-9]{4}"]},
    "custom": [{"type": "badge_id", "pattern": "BDG-[0-9]{6}"}]
  }
}"#;

/// The engine of [`MASK_ALL_CONFIG`], built once.
pub fn mask_all_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| Engine::new(MASK_ALL_CONFIG.as_bytes()).expect("MASK_ALL_CONFIG compiles"))
}

/// Values the fixed vaults hold, by detector type. Some carry JSON string
/// specials so that escaping in tool arguments is exercised.
pub const VAULT_VALUES: &[(&str, &str)] = &[
    ("email", "mara.quell@example.org"),
    ("phone_number", "+1 415 555 0134"),
    ("person", "Ilse \"Ivy\" Dornbach"),
    ("openai_api_key", "sk-proj-Zq4eVn1XbT7LmA2cR8yWsD0k"),
    ("custom", "line one\nline two \\ tab\t end"),
    ("ip_address", "203.0.113.77"),
];

/// A vault holding [`VAULT_VALUES`]: counter placeholders (`[EMAIL_1]`), or
/// keyed ones (`[EMAIL_0123456789]`) when `keyed`.
pub fn fixed_vault(keyed: bool) -> Vault {
    let key: Option<&[u8]> = keyed.then_some(b"fuzzing-key-0123456789".as_slice());
    let mut vault = Vault::new(key, 64);
    for (kind, value) in VAULT_VALUES {
        vault.mask(kind, value).expect("the vault has room");
    }
    vault
}

/// The placeholders of [`fixed_vault`], in [`VAULT_VALUES`] order.
pub fn fixed_placeholders(keyed: bool) -> Vec<String> {
    let mut vault = fixed_vault(keyed);
    VAULT_VALUES
        .iter()
        .map(|(kind, value)| vault.mask(kind, value).expect("already present"))
        .collect()
}
