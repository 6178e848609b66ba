// SPDX-License-Identifier: Apache-2.0
//! End-to-end PII tests through the default scanner: true positives in
//! realistic text with exact spans, and hard negatives that must stay
//! silent. All values are made up.

use crate::config::DetectorsConfig;
use crate::detect::Scanner;
use crate::finding::Category;

/// `(type, matched text)` of every finding, in order.
fn scan_with(cfg: &DetectorsConfig, text: &str) -> Vec<(String, String)> {
    let scanner = Scanner::new(cfg).unwrap();
    scanner
        .scan(text)
        .into_iter()
        .map(|f| {
            assert_eq!(f.category, Category::Pii, "{f:?}");
            (
                f.kind.to_string(),
                text[f.byte_start..f.byte_end].to_string(),
            )
        })
        .collect()
}

fn scan(text: &str) -> Vec<(String, String)> {
    scan_with(&DetectorsConfig::default(), text)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn true_positives_in_realistic_text() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "Hi, I'm Jane (jane.doe@example.com, +1 415 555 0132). My card 4539 1488 0343 6467 \
             was charged twice on 2024-01-15, order #A-99812, total $1,249.00. Server \
             84.17.52.193 returned 502.",
            &[
                ("email", "jane.doe@example.com"),
                ("phone_number", "+1 415 555 0132"),
                ("credit_card", "4539 1488 0343 6467"),
                ("ipv4", "84.17.52.193"),
            ],
        ),
        (
            r#"{"role":"user","content":"my IBAN is DE50 5260 1815 9083 0166 13 and SSN 536-22-1847"}"#,
            &[
                ("iban", "DE50 5260 1815 9083 0166 13"),
                ("us_ssn", "536-22-1847"),
            ],
        ),
        (
            "name,email,phone,ip\n\
             Ann Lee,ann.lee@example.org,415-555-0132,192.168.0.12\n\
             Bo Chen,bo@example.net,(415) 555-0199,84.17.52.193\n",
            &[
                ("email", "ann.lee@example.org"),
                ("phone_number", "415-555-0132"),
                ("email", "bo@example.net"),
                ("phone_number", "(415) 555-0199"),
                ("ipv4", "84.17.52.193"),
            ],
        ),
        (
            "Здравствуйте! Меня зовут Иван, телефон 8 (912) 345-67-89, почта ivan@пример.рф. \
             ИНН 500938471020, СНИЛС 154-823-907 80, паспорт 4514 582931.",
            &[
                ("phone_number", "8 (912) 345-67-89"),
                ("email", "ivan@пример.рф"),
                ("ru_inn", "500938471020"),
                ("ru_snils", "154-823-907 80"),
                ("passport_number", "4514 582931"),
            ],
        ),
        (
            "assistant: I've noted your new number +7 912 345-67-89 and the router MAC \
             3c:22:fb:91:0e:7a; the VPN peer is 2a01:4f8:c17:3b2e::1d4.",
            &[
                ("phone_number", "+7 912 345-67-89"),
                ("mac_address", "3c:22:fb:91:0e:7a"),
                ("ipv6", "2a01:4f8:c17:3b2e::1d4"),
            ],
        ),
        (
            "Patient DOB: 1987-04-12, passport no. C03005988, contact 1-415-555-0132.",
            &[
                ("date_of_birth", "1987-04-12"),
                ("passport_number", "C03005988"),
                ("phone_number", "1-415-555-0132"),
            ],
        ),
        (
            "Taxpayer INN 5029384711 (organisation), amex 3742 816309 51725",
            &[
                ("ru_inn", "5029384711"),
                ("credit_card", "3742 816309 51725"),
            ],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(scan(text), pairs(want), "{text}");
    }
}

#[test]
fn spans_are_char_offsets_in_russian_text() {
    let text = "Телефон: +7 (912) 345-67-89";
    let scanner = Scanner::new(&DetectorsConfig::default()).unwrap();
    let findings = scanner.scan(text);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.kind, "phone_number");
    assert_eq!((f.start, f.end), (9, 27));
    assert_eq!((f.byte_start, f.byte_end), (16, 34));
}

#[test]
fn hard_negatives_stay_silent() {
    let texts = [
        // Identifiers and hashes.
        "request 550e8400-e29b-41d4-a716-446655440000 failed",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "token aGVsbG8gd29ybGQgMTIzNDU2Nzg5MA==",
        // Dates and timestamps.
        "released 2024-01-15T10:30:00Z, epoch 1705312200, ms 1705312200123",
        "due 15.01.2024 or 01/15/2024",
        // Versions.
        "upgrade to v1.2.3.4 or 1.2.3.4.5; version 2.10.3.1; build 10.0.19041.1",
        // Orders, prices, postcodes.
        "order #4155550132, ORD-2024-000123, invoice INV-415-555-0132",
        "total $1,299.99 or € 45,00 or 4155.50 RUB",
        "ship to 94107 or 94107-1234, Moscow 125009",
        // Prose and code.
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.",
        "for (int i = 0; i < 10; i++) { std::vector<int> v(4155550132); x = 0x1F4; }",
        "npm i lodash@4.17.21; git clone git@github.com:acme/repo.git; see icon@2x.png",
        "ping @jane.doe or root@localhost",
        "time 10:30:45, ratio 16:9, range 12:00-18:00",
        // Phone-like groups of an invalid card, and invalid cards.
        "card 4155 5501 3255 5012",
        "card 4539 1488 0343 6468 and 1234 5678 1234 5670 and 4444 4444 4444 4444",
        // Bad IBAN checksum, unknown country.
        "IBAN DE51 5260 1815 9083 0166 13, US12345678901234567890",
        // Invalid SSNs, INN and SNILS checksums.
        "SSN 078-05-1120, 666-22-1847, 536-00-1847",
        "ИНН 500938471021, СНИЛС 154-823-907 81",
        // Passport-shaped numbers without a passport word.
        "booking 4514 582931 and code C03005988",
        // Private, loopback, documentation and non-host addresses.
        "lan 10.0.0.5 192.168.1.1 172.16.4.2 127.0.0.1 169.254.1.1 192.0.2.7 ::1 fe80::1 \
         fd00::1 2001:db8::1 0.0.0.0 255.255.255.0",
        // MACs that are not a device.
        "00:00:00:00:00:00 and ff:ff:ff:ff:ff:ff",
    ];
    for text in texts {
        assert_eq!(scan(text), Vec::new(), "{text}");
    }
}

#[test]
fn card_wins_over_phone_like_groups() {
    assert_eq!(
        scan("card 4155 5501 3255 5011 on file"),
        pairs(&[("credit_card", "4155 5501 3255 5011")])
    );
}

#[test]
fn private_ips_are_reported_on_request() {
    let cfg = DetectorsConfig {
        report_private_ips: true,
        ..DetectorsConfig::default()
    };
    assert_eq!(
        scan_with(
            &cfg,
            "lan 10.0.0.5, docs 192.0.2.7, link fe80::1, lo ::1, mask 255.255.255.0"
        ),
        pairs(&[
            ("ipv4", "10.0.0.5"),
            ("ipv4", "192.0.2.7"),
            ("ipv6", "fe80::1"),
            ("ipv6", "::1"),
        ])
    );
}

#[test]
fn mapped_ipv6_is_one_finding() {
    assert_eq!(
        scan("peer ::ffff:84.17.52.193 connected"),
        pairs(&[("ipv6", "::ffff:84.17.52.193")])
    );
}

#[test]
fn disabled_types_are_not_built() {
    let cfg = DetectorsConfig {
        disabled: vec!["email".into(), "ipv4".into()],
        ..DetectorsConfig::default()
    };
    let all = super::build(&DetectorsConfig::default(), &mut Default::default())
        .unwrap()
        .len();
    assert_eq!(
        super::build(&cfg, &mut Default::default()).unwrap().len(),
        all - 2
    );
    assert_eq!(
        scan_with(&cfg, "jane.doe@example.com 84.17.52.193 +1 415 555 0132"),
        pairs(&[("phone_number", "+1 415 555 0132")])
    );
}

#[test]
fn every_type_has_an_example_and_a_detector() {
    let types = super::types();
    assert_eq!(
        types.len(),
        super::build(&DetectorsConfig::default(), &mut Default::default())
            .unwrap()
            .len()
    );
    for t in &types {
        assert_eq!(t.category, Category::Pii);
        let found = scan(t.example);
        assert!(
            found.iter().any(|(kind, _)| kind == t.id),
            "{}: {:?}",
            t.id,
            found
        );
    }
}

mod run_anchored {
    use super::super::bounds::{captures_at_runs, digit_sequences};
    use super::super::{ru, ssn};
    use proptest::prelude::*;
    use regex::{Captures, Regex};

    /// Span and which of the first two groups took part.
    fn shape(offset: usize, caps: &Captures<'_>) -> (usize, usize, bool, bool) {
        let m = caps.get(0).unwrap();
        (
            offset + m.start(),
            offset + m.end(),
            caps.get(1).is_some(),
            caps.get(2).is_some(),
        )
    }

    proptest! {
        /// SSN and SNILS run their patterns only at digit-run starts; that
        /// finds exactly what the unanchored pattern finds over the text.
        #[test]
        fn run_starts_find_what_a_whole_text_search_finds(parts in proptest::collection::vec(
            prop_oneof![
                Just("536"), Just("22"), Just("1847"), Just("123"), Just("456"), Just("01"),
                Just("12345678901"), Just("536221847"), Just("7"), Just("-"), Just(" "),
                Just("x"), Just("_"), Just("é"),
                // Whole grouped spellings, so that they occur often.
                Just("536-22-1847"), Just("536 22 1847"), Just("123-456-789 01"),
                Just("123 456 789-01"),
            ],
            0..14,
        )) {
            let text = parts.concat();
            for (pattern, lens) in [
                (ssn::PATTERN, &ssn::RUN_LENGTHS[..]),
                (ru::SNILS_PATTERN, &ru::SNILS_RUN_LENGTHS[..]),
            ] {
                let anchored = Regex::new(&format!("^{pattern}")).unwrap();
                let whole = Regex::new(&format!("(?-u:\\b){pattern}")).unwrap();
                let ours: Vec<_> = captures_at_runs(&text, digit_sequences(&text), &anchored, lens)
                    .map(|(offset, caps)| shape(offset, &caps))
                    .collect();
                let theirs: Vec<_> = whole.captures_iter(&text).map(|caps| shape(0, &caps)).collect();
                prop_assert_eq!(ours, theirs, "{:?}", text);
            }
        }
    }
}
