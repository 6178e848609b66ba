// SPDX-License-Identifier: Apache-2.0
//! `scan` on arbitrary text (the default detectors): never panics; every
//! finding's char and byte spans are in range, agree with each other, lie
//! on char boundaries, are sorted and do not overlap; scores are in 0..=1.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let owned;
    let text = match std::str::from_utf8(data) {
        Ok(text) => text,
        Err(_) => {
            owned = String::from_utf8_lossy(data).into_owned();
            &owned
        }
    };
    let findings = shroud_fuzz::default_engine().scan(text);
    let mut last_end = 0;
    for f in &findings {
        assert!(f.byte_start < f.byte_end, "empty or reversed span: {f:?}");
        assert!(f.byte_end <= text.len(), "span past the end: {f:?}");
        assert!(
            text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end),
            "span not on char boundaries: {f:?}"
        );
        assert!(
            f.byte_start >= last_end,
            "findings overlap or are unsorted: {findings:?}"
        );
        last_end = f.byte_end;
        let before = &text[..f.byte_start];
        let value = &text[f.byte_start..f.byte_end];
        assert_eq!(
            f.start,
            before.chars().count(),
            "char start disagrees: {f:?}"
        );
        assert_eq!(
            f.end - f.start,
            value.chars().count(),
            "char length disagrees: {f:?}"
        );
        assert!((0.0..=1.0).contains(&f.score), "score out of range: {f:?}");
        assert!(!f.kind.is_empty(), "finding without a type: {f:?}");
    }
});
