// SPDX-License-Identifier: Apache-2.0
//! The streaming rehydrator under every split: the concatenated output of
//! `push`es and `finish` equals `Vault::rehydrate_escaped` of the whole
//! text, it never holds back more than a placeholder's length, and it finds
//! the same placeholders `find_placeholders` does.
//!
//! Input: split plan (see the crate docs); control byte 0 picks counter or
//! keyed placeholders, the value escape, and whether the text is first
//! reserved as request input (poisoning the placeholders it carries).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shroud_engine::placeholder::{MAX_PLACEHOLDER_LEN, find_placeholders, is_placeholder};
use shroud_engine::stream::{DeltaTransform, Rehydrator};
use shroud_engine::vault::ValueEscape;
use shroud_fuzz::{Split, fixed_vault, str_chunks};

fuzz_target!(|data: &[u8]| {
    let split = Split::parse(data);
    let Ok(text) = std::str::from_utf8(split.payload) else {
        return;
    };
    let options = split.option(0);
    let mut vault = fixed_vault(options & 1 != 0);
    let escape = if options & 2 != 0 {
        ValueEscape::JsonString
    } else {
        ValueEscape::None
    };
    if options & 4 != 0 {
        vault.reserve_input(text);
    }

    for (range, token) in find_placeholders(text) {
        assert_eq!(
            text.get(range.clone()),
            Some(token),
            "range and token disagree"
        );
        assert!(
            is_placeholder(token),
            "found {token:?}, which is no placeholder"
        );
    }

    let whole = vault.rehydrate_escaped(text, escape).into_owned();
    let mut streamed = String::new();
    let mut rehydrator = Rehydrator::with_escape(&vault, escape);
    for chunk in str_chunks(text, split.control) {
        streamed.push_str(&rehydrator.push(chunk));
        assert!(
            rehydrator.held_len() < MAX_PLACEHOLDER_LEN,
            "held back {} bytes",
            rehydrator.held_len()
        );
    }
    streamed.push_str(&rehydrator.finish());
    assert_eq!(
        streamed, whole,
        "streamed output differs from whole-text output"
    );
    // `finish` resets: the same rehydrator serves a second stream.
    assert_eq!(rehydrator.push("") + &rehydrator.finish(), "");
});
