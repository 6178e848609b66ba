// SPDX-License-Identifier: Apache-2.0
//! Vault tests: token assignment, the collision canary, deterministic mode
//! and the mask → rehydrate round trip.

use super::*;
use crate::placeholder::is_placeholder;
use proptest::prelude::*;

const KEY_A: &[u8] = b"test-key-aaaaaaaaaaaaaaaa";
const KEY_B: &[u8] = b"test-key-bbbbbbbbbbbbbbbb";

#[test]
fn same_value_same_token_distinct_values_distinct_tokens() {
    let mut v = Vault::new(None, 16);
    let a = v.mask("email", "alice@example.test").unwrap();
    let b = v.mask("email", "bob@example.test").unwrap();
    let p = v.mask("phone_number", "+1 555 0100").unwrap();
    assert_eq!(
        (a.as_str(), b.as_str(), p.as_str()),
        ("[EMAIL_1]", "[EMAIL_2]", "[PHONE_NUMBER_1]")
    );
    assert_eq!(v.mask("email", "alice@example.test").unwrap(), a);
    // Same text under another type is another entry.
    assert_eq!(
        v.mask("person", "alice@example.test").unwrap(),
        "[PERSON_1]"
    );
    assert_eq!(v.len(), 4);
    assert_eq!(v.lookup("[EMAIL_2]"), Some("bob@example.test"));
    assert_eq!(v.lookup("[EMAIL_3]"), None);
}

#[test]
fn rehydrate_replaces_known_tokens_only() {
    let mut v = Vault::new(None, 16);
    assert!(matches!(v.rehydrate("[EMAIL_1]"), Cow::Borrowed(_)));
    let a = v.mask("email", "alice@example.test").unwrap();
    let text = format!("to {a}, cc [EMAIL_7] and {a}; [REDACTED:email]");
    assert_eq!(
        v.rehydrate(&text),
        "to alice@example.test, cc [EMAIL_7] and alice@example.test; [REDACTED:email]"
    );
    assert!(matches!(
        v.rehydrate("nothing [EMAIL_7] here"),
        Cow::Borrowed(_)
    ));
}

#[test]
fn collision_canary_user_typed_token_is_never_restored() {
    let input = "My notes say [EMAIL_1] and [EMAIL_3]; the real one is alice@example.test";
    let mut v = Vault::new(None, 16);
    v.reserve_input(input);
    let a = v.mask("email", "alice@example.test").unwrap();
    let b = v.mask("email", "bob@example.test").unwrap();
    // Counters skip the poisoned tokens.
    assert_eq!((a.as_str(), b.as_str()), ("[EMAIL_2]", "[EMAIL_4]"));
    assert_eq!(v.lookup("[EMAIL_1]"), None);
    assert_eq!(v.lookup("[EMAIL_3]"), None);
    assert_eq!(
        v.rehydrate("[EMAIL_1] [EMAIL_2] [EMAIL_3] [EMAIL_4]"),
        "[EMAIL_1] alice@example.test [EMAIL_3] bob@example.test"
    );
    assert_eq!(v.poisoned_len(), 2);
}

#[test]
fn reserving_an_assigned_token_withdraws_it() {
    let mut v = Vault::new(None, 16);
    let a = v.mask("email", "alice@example.test").unwrap();
    assert_eq!(a, "[EMAIL_1]");
    v.reserve_input("a later field quotes [EMAIL_1]");
    assert_eq!(v.lookup("[EMAIL_1]"), None);
    assert_eq!(v.rehydrate("[EMAIL_1]"), "[EMAIL_1]");
    let again = v.mask("email", "alice@example.test").unwrap();
    assert_eq!(again, "[EMAIL_2]");
    assert_eq!(v.lookup(&again), Some("alice@example.test"));
    assert_eq!(v.len(), 1);
}

#[test]
fn deterministic_tokens_are_stable_per_key() {
    let mut v1 = Vault::new(Some(KEY_A), 16);
    let mut v2 = Vault::new(Some(KEY_A), 16);
    let mut other = Vault::new(Some(KEY_B), 16);
    v2.mask("email", "zed@example.test").unwrap(); // order must not matter
    let t1 = v1.mask("email", "alice@example.test").unwrap();
    let t2 = v2.mask("email", "alice@example.test").unwrap();
    let t3 = other.mask("email", "alice@example.test").unwrap();
    assert_eq!(t1, t2);
    assert_ne!(t1, t3);
    assert!(is_placeholder(&t1));
    assert_eq!(
        t1.len(),
        "[EMAIL_]".len() + crate::placeholder::KEYED_ID_HEX_LEN
    );
    assert_ne!(t1, v1.mask("email", "bob@example.test").unwrap());
    assert_ne!(t1, v1.mask("person", "alice@example.test").unwrap());
    assert_eq!(v1.rehydrate(&t1), "alice@example.test");
}

#[test]
fn deterministic_collision_with_poisoned_token_gets_a_suffix() {
    let token = Vault::new(Some(KEY_A), 4)
        .mask("email", "alice@example.test")
        .unwrap();
    let mut v = Vault::new(Some(KEY_A), 16);
    v.reserve_input(&format!("previous transcript: {token}"));
    let fresh = v.mask("email", "alice@example.test").unwrap();
    assert_ne!(fresh, token);
    assert_eq!(fresh, token.replace(']', "x2]"));
    assert!(is_placeholder(&fresh));
    assert_eq!(v.lookup(&token), None);
    assert_eq!(
        v.rehydrate(&format!("{token} {fresh}")),
        format!("{token} alice@example.test")
    );
}

#[test]
fn vault_full_is_an_error_but_known_values_still_resolve() {
    let mut v = Vault::new(None, 2);
    v.mask("email", "a@example.test").unwrap();
    v.mask("email", "b@example.test").unwrap();
    assert_eq!(
        v.mask("email", "c@example.test"),
        Err(VaultFull { max_entries: 2 })
    );
    assert_eq!(v.mask("email", "a@example.test").unwrap(), "[EMAIL_1]");
    assert_eq!(v.len(), 2);
}

#[test]
fn debug_prints_counts_not_values() {
    let mut v = Vault::new(Some(KEY_A), 8);
    v.reserve_input("[EMAIL_1]");
    v.mask("email", "alice@example.test").unwrap();
    let debug = format!("{v:?}");
    assert!(!debug.contains("alice"), "{debug}");
    assert!(!debug.contains("EMAIL"), "{debug}");
    assert!(!debug.contains("test-key"), "{debug}");
    assert!(debug.contains("entries: 1"), "{debug}");
}

#[test]
fn json_string_escape() {
    let mut v = Vault::new(None, 8);
    let t = v.mask("person", "Zoë \"Z\"\\\n").unwrap();
    let args = format!("{{\"name\":\"{t}\"}}");
    let restored = v.rehydrate_escaped(&args, ValueEscape::JsonString);
    let parsed: serde_json::Value = serde_json::from_str(&restored).unwrap();
    assert_eq!(parsed["name"], "Zoë \"Z\"\\\n");
}

#[derive(Debug, Clone)]
enum Segment {
    Text(String),
    Value(&'static str, String),
}

fn segment() -> impl Strategy<Value = Segment> {
    // Literal text never contains `@` or `+`, every value does: so a value
    // showing up in masked text can only be a leak.
    let text = prop_oneof![
        "[a-zA-Z .,é日\\[\\]_0-9]{0,12}",
        Just("[EMAIL_1]".to_string()),
        Just("[EMAIL_2]".to_string()),
        Just("[PHONE_NUMBER_1]".to_string()),
        Just("[EMAIL_".to_string()),
        "\\[EMAIL_[0-9a-f]{10}\\]",
    ]
    .prop_map(Segment::Text);
    let value = prop_oneof![
        ("[a-z]{1,5}@[a-z]{1,5}\\.test").prop_map(|v| Segment::Value("email", v)),
        ("\\+[0-9]{3} [0-9]{4}").prop_map(|v| Segment::Value("phone_number", v)),
        ("@[A-Za-z \"\\\\]{1,6}").prop_map(|v| Segment::Value("person", v)),
    ];
    prop_oneof![text, value]
}

proptest! {
    #[test]
    fn mask_then_rehydrate_round_trips(
        segments in proptest::collection::vec(segment(), 0..24),
        deterministic in any::<bool>(),
    ) {
        let original: String = segments.iter().map(|s| match s {
            Segment::Text(t) | Segment::Value(_, t) => t.as_str(),
        }).collect();
        let mut v = Vault::new(deterministic.then_some(KEY_A), 1024);
        v.reserve_input(&original);
        let mut masked = String::new();
        for s in &segments {
            match s {
                Segment::Text(t) => masked.push_str(t),
                Segment::Value(kind, value) => masked.push_str(&v.mask(kind, value).unwrap()),
            }
        }
        for s in &segments {
            if let Segment::Value(_, value) = s {
                prop_assert!(!masked.contains(value.as_str()), "{value:?} leaked into {masked:?}");
            }
        }
        prop_assert_eq!(v.rehydrate(&masked), original);
    }
}
