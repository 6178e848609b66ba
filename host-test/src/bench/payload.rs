// SPDX-License-Identifier: Apache-2.0
//! Deterministic OpenAI chat bodies for `shroud bench`: the same bytes on
//! every run and machine, so numbers are comparable. Clean bodies hold
//! plain prose the default detectors find nothing in; PII-dense ones carry
//! a made-up personal value in every other sentence (emails, phone
//! numbers, cards, IBANs, SSNs, IPv4 addresses, each valid in shape and
//! checksum so the detectors take them).

/// Which text fills the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Prose only: nothing to find.
    Clean,
    /// One personal value in every other sentence (about one per 200 bytes).
    PiiDense,
}

impl Payload {
    pub fn name(self) -> &'static str {
        match self {
            Payload::Clean => "clean",
            Payload::PiiDense => "pii-dense",
        }
    }
}

/// Plain words: no digits, no keywords of the injection or corporate
/// detectors, nothing shaped like a value.
const WORDS: &[&str] = &[
    "the",
    "customer",
    "asked",
    "about",
    "a",
    "refund",
    "for",
    "their",
    "order",
    "and",
    "we",
    "should",
    "explain",
    "policy",
    "clearly",
    "before",
    "shipping",
    "window",
    "closes",
    "next",
    "week",
    "please",
    "summarize",
    "ticket",
    "history",
    "in",
    "short",
    "friendly",
    "terms",
    "with",
    "any",
    "open",
    "questions",
    "listed",
    "at",
    "end",
    "team",
    "reviewed",
    "delivery",
    "delay",
    "warehouse",
    "update",
    "was",
    "late",
    "because",
    "weather",
    "routes",
    "changed",
];

const FIRST: &[&str] = &[
    "ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "john",
];
const LAST: &[&str] = &[
    "lovelace", "hopper", "turing", "dijkstra", "liskov", "knuth", "allen", "backus",
];

/// xorshift64*: reproducible, not secret.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = (self.next() % items.len() as u64) as usize;
        items.get(i).copied().unwrap_or("the")
    }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + (rng.next() % 10) as u8))
        .collect()
}

/// The Luhn check digit that completes `payload`.
fn luhn_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// A German IBAN (ISO 13616 check digits over a random BBAN).
fn iban(rng: &mut Rng) -> String {
    let bban = digits(rng, 18);
    // BBAN + "DE00" with letters as numbers (D=13, E=14), mod 97.
    let rearranged = format!("{bban}131400");
    let rem = rearranged
        .bytes()
        .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
    let raw = format!("DE{:02}{bban}", 98 - rem);
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One made-up personal value and the words that introduce it.
fn pii_phrase(rng: &mut Rng, n: u64) -> String {
    match n % 6 {
        0 => format!(
            "write to {}.{}{}@example.com",
            rng.pick(FIRST),
            rng.pick(LAST),
            rng.range(1, 999)
        ),
        1 => format!("call +1 415 555 01{:02}", rng.range(0, 99)),
        2 => {
            let body = format!("4539{}", digits(rng, 11));
            let card = format!("{body}{}", luhn_digit(&body));
            let groups: Vec<&str> = (0..4).filter_map(|i| card.get(i * 4..i * 4 + 4)).collect();
            format!("card {}", groups.join(" "))
        }
        3 => format!("refund to IBAN {}", iban(rng)),
        4 => format!(
            "ssn {}-{}-{}",
            rng.range(101, 599),
            rng.range(10, 99),
            rng.range(1000, 9999)
        ),
        _ => format!(
            "from host {}.{}.{}.{}",
            rng.range(84, 91),
            rng.range(1, 254),
            rng.range(1, 254),
            rng.range(1, 254)
        ),
    }
}

/// One sentence (ASCII, no quotes or backslashes: safe inside a JSON string).
fn sentence(rng: &mut Rng, pii: Option<u64>) -> String {
    let count = rng.range(8, 14) as usize;
    let mut words: Vec<String> = (0..count).map(|_| rng.pick(WORDS).to_string()).collect();
    if let Some(head) = words.first_mut().and_then(|w| w.get_mut(..1)) {
        head.make_ascii_uppercase();
    }
    let mut s = words.join(" ");
    if let Some(n) = pii {
        s.push_str(", ");
        s.push_str(&pii_phrase(rng, n));
    }
    s.push_str(". ");
    s
}

/// Prose of at least `len` bytes (it stops after the sentence that reaches it).
fn prose(rng: &mut Rng, payload: Payload, len: usize, counter: &mut u64) -> String {
    let mut out = String::new();
    let mut nth = 0u64;
    while out.len() < len {
        let pii = (payload == Payload::PiiDense && nth % 2 == 1).then(|| {
            *counter += 1;
            *counter
        });
        out.push_str(&sentence(rng, pii));
        nth += 1;
    }
    out
}

const SYSTEM: &str = "You are a support assistant for a travel company. Answer briefly.";

/// A chat completions request of exactly `size` bytes (at least the size
/// of its fixed frame): a system prompt, alternating user and assistant
/// turns of about 600 bytes, the last user turn padded to fit.
pub fn chat_body(size: usize, payload: Payload) -> Vec<u8> {
    chat_body_with(size, payload, false)
}

/// [`chat_body`] with `"stream": true`.
pub fn chat_body_with(size: usize, payload: Payload, stream: bool) -> Vec<u8> {
    let mut rng = Rng(0x5eed_0000 ^ (size as u64) ^ ((payload as u64) << 40));
    let mut counter = 0u64;
    let head = format!(
        "{{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,{}\"messages\":[{{\"role\":\"system\",\"content\":\"{SYSTEM}\"}}",
        if stream { "\"stream\":true," } else { "" }
    );
    let tail = "]}";
    let mut body = head;
    let mut turn = 0usize;
    let frame =
        |role: &str, content: &str| format!(",{{\"role\":\"{role}\",\"content\":\"{content}\"}}");
    let last_overhead = frame("user", "").len() + tail.len();
    loop {
        let role = if turn.is_multiple_of(2) {
            "user"
        } else {
            "assistant"
        };
        let room = size.saturating_sub(body.len() + last_overhead);
        // Leave the last user turn at least a sentence or two.
        if room < 1200 || (role == "assistant" && room < 1800) {
            break;
        }
        let text = prose(&mut rng, payload, 600, &mut counter);
        body.push_str(&frame(role, text.trim_end()));
        turn += 1;
    }
    let room = size.saturating_sub(body.len() + last_overhead);
    let mut last = prose(&mut rng, payload, room, &mut counter);
    // Cut back to the room at a word boundary, then pad with spaces.
    last.truncate(room);
    if let Some(cut) = last.rfind(' ') {
        last.truncate(cut);
    }
    while last.len() < room {
        last.push(' ');
    }
    body.push_str(&frame("user", &last));
    body.push_str(tail);
    body.into_bytes()
}

/// The last message's text of a chat body (what the mock model echoes).
pub fn last_content(body: &[u8]) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    doc.get("messages")?
        .as_array()?
        .last()?
        .get("content")?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_exact_size_and_are_chat_json() {
        for size in [1024, 4096, 65536, 1 << 20] {
            for payload in [Payload::Clean, Payload::PiiDense] {
                let body = chat_body(size, payload);
                assert_eq!(body.len(), size, "{size} {payload:?}");
                let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(doc["model"], "gpt-4o-mini");
                let messages = doc["messages"].as_array().unwrap();
                assert_eq!(messages.last().unwrap()["role"], "user");
                assert_eq!(chat_body(size, payload), body, "deterministic");
            }
        }
    }

    #[test]
    fn clean_finds_nothing_and_dense_finds_every_kind() {
        let engine = shroud_engine::Engine::new(b"").unwrap();
        let clean = String::from_utf8(chat_body(65536, Payload::Clean)).unwrap();
        let noise = engine.scan(&clean);
        assert!(noise.is_empty(), "clean prose has findings: {noise:?}");
        let dense = String::from_utf8(chat_body(65536, Payload::PiiDense)).unwrap();
        let findings = engine.scan(&dense);
        let kinds: std::collections::BTreeSet<&str> = findings.iter().map(|f| &*f.kind).collect();
        for kind in [
            "email",
            "phone_number",
            "credit_card",
            "iban",
            "us_ssn",
            "ipv4",
        ] {
            assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
        }
        // About one value per 200 bytes, every one detected.
        let planted = dense.matches(", ").count();
        assert!(findings.len() >= planted, "{} < {planted}", findings.len());
        assert!(findings.len() > 65536 / 400, "{}", findings.len());
    }

    #[test]
    fn check_digits_are_right() {
        // Worked examples (made up).
        assert_eq!(luhn_digit("453914880343646"), '7');
        let mut rng = Rng(7);
        let iban = iban(&mut rng).replace(' ', "");
        let moved = format!("{}{}", &iban[4..], "1314") + &iban[2..4];
        let rem = moved
            .bytes()
            .fold(0u32, |acc, b| (acc * 10 + u32::from(b - b'0')) % 97);
        assert_eq!(rem, 1);
    }
}
