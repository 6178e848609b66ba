// SPDX-License-Identifier: Apache-2.0
//! Checksums and structural validators shared by detectors.

/// Luhn mod-10 over the ASCII digits of `s` (other characters are ignored);
/// false when there are fewer than two digits.
pub(crate) fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 7064 mod 97-10 as used by IBAN: move the first four characters to the
/// end, letters become 10..35, and the number mod 97 must be 1. Spaces are
/// ignored; anything else that is not alphanumeric fails.
pub(crate) fn mod97(s: &str) -> bool {
    let compact: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 5 {
        return false;
    }
    let rotated = compact[4..].iter().chain(compact[..4].iter());
    let mut remainder: u32 = 0;
    for c in rotated {
        let value = match c.to_ascii_uppercase() {
            d @ '0'..='9' => d as u32 - '0' as u32,
            l @ 'A'..='Z' => l as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// Total IBAN length for a country code of the ISO 13616 registry, or
/// `None` for a country that does not issue IBANs.
pub(crate) fn iban_length(country: &str) -> Option<usize> {
    let len = match country {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FK" | "FO" | "GL" | "NL" | "SD" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "MN" | "XK" => 20,
        "CH" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "CR" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" | "VA" => 22,
        "AE" | "GI" | "IL" | "IQ" | "OM" | "SO" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "LY" | "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "BI" | "DJ" | "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "BY" | "CY" | "DO" | "GT" | "HN" | "HU" | "LB" | "NI" | "PL" | "SV" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" | "YE" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        "RU" => 33,
        _ => return None,
    };
    Some(len)
}

/// Payment card networks recognised by their issuer identification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardNetwork {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    DinersClub,
    UnionPay,
    Maestro,
    Mir,
}

/// The network whose IIN range and card length `digits` (ASCII digits only)
/// fit; `None` when no network issues such a number. No Luhn check here.
pub(crate) fn card_network(digits: &str) -> Option<CardNetwork> {
    let len = digits.len();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading digits as numbers, for range checks (`prefix(4)` of 5105… = 5105).
    let prefix = |n: usize| -> u32 { digits.get(..n).and_then(|p| p.parse().ok()).unwrap_or(0) };
    let (p1, p2, p3, p4) = (prefix(1), prefix(2), prefix(3), prefix(4));
    // Mir and the 2-series Mastercard share the leading 22: test Mir first.
    if (2200..=2204).contains(&p4) {
        (16..=19).contains(&len).then_some(CardNetwork::Mir)
    } else if p1 == 4 {
        matches!(len, 13 | 16 | 19).then_some(CardNetwork::Visa)
    } else if (51..=55).contains(&p2) || (2221..=2720).contains(&p4) {
        (len == 16).then_some(CardNetwork::Mastercard)
    } else if p2 == 34 || p2 == 37 {
        (len == 15).then_some(CardNetwork::Amex)
    } else if p4 == 6011 || (644..=649).contains(&p3) || p2 == 65 {
        (16..=19).contains(&len).then_some(CardNetwork::Discover)
    } else if (3528..=3589).contains(&p4) {
        (16..=19).contains(&len).then_some(CardNetwork::Jcb)
    } else if (300..=305).contains(&p3) || p2 == 36 || p2 == 38 || p4 == 3095 {
        (14..=19).contains(&len).then_some(CardNetwork::DinersClub)
    } else if p2 == 62 {
        (16..=19).contains(&len).then_some(CardNetwork::UnionPay)
    } else if matches!(
        p4,
        5018 | 5020 | 5038 | 5893 | 6304 | 6759 | 6761 | 6762 | 6763
    ) || (56..=58).contains(&p2)
    {
        (13..=19).contains(&len).then_some(CardNetwork::Maestro)
    } else {
        None
    }
}

/// A plausible payment card: known IIN range with a matching length, not one
/// repeated digit, and a correct Luhn check digit. `digits` holds digits only.
pub(crate) fn card_valid(digits: &str) -> bool {
    card_network(digits).is_some() && !all_same(digits) && luhn(digits)
}

/// US Social Security Number rules for `digits` (exactly nine ASCII digits):
/// area 000, 666 and 900–999, group 00 and serial 0000 were never issued,
/// and two numbers printed in advertising are known to be fake.
pub(crate) fn ssn_valid(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (area, group, serial) = match (digits.get(..3), digits.get(3..5), digits.get(5..)) {
        (Some(a), Some(g), Some(s)) => (a, g, s),
        _ => return false,
    };
    let area_num: u32 = area.parse().unwrap_or(0);
    area_num != 0
        && area_num != 666
        && area_num < 900
        && group != "00"
        && serial != "0000"
        && digits != "078051120"
        && digits != "219099999"
}

/// Russian taxpayer number (ИНН): 10 digits (organisation) with one check
/// digit or 12 digits (person) with two; check digit = weighted sum mod 11
/// mod 10. Region `00` and one repeated digit are refused.
pub(crate) fn inn_valid(digits: &str) -> bool {
    const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
    let Some(d) = ascii_digits(digits) else {
        return false;
    };
    if d.get(..2) == Some(&[0, 0]) || all_same(digits) {
        return false;
    }
    let check = |weights: &[u32]| -> u32 {
        let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
        sum % 11 % 10
    };
    match d.len() {
        10 => d.get(9) == Some(&check(&W10)),
        12 => d.get(10) == Some(&check(&W11)) && d.get(11) == Some(&check(&W12)),
        _ => false,
    }
}

/// Russian insurance number (СНИЛС): 9 digits and a 2-digit check number.
/// Sum of digit × (9 − position); below 100 it is the check number, 100 and
/// 101 give 00, above that sum mod 101 (where 100 again gives 00). The
/// checksum only exists for numbers above 001-001-998, so smaller ones are
/// refused.
pub(crate) fn snils_valid(digits: &str) -> bool {
    let Some(d) = ascii_digits(digits) else {
        return false;
    };
    if d.len() != 11 {
        return false;
    }
    let number = d.iter().take(9).fold(0u32, |acc, x| acc * 10 + x);
    if number <= 1_001_998 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(9)
        .zip((1..=9u32).rev())
        .map(|(x, w)| x * w)
        .sum();
    let expected = match sum {
        0..=99 => sum,
        100 | 101 => 0,
        _ => match sum % 101 {
            100 => 0,
            r => r,
        },
    };
    let given = d
        .get(9)
        .zip(d.get(10))
        .map_or(u32::MAX, |(t, u)| t * 10 + u);
    given == expected
}

/// Where an IP address belongs; only `Public` addresses point at a party
/// outside the sender's own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IpScope {
    /// Globally routable unicast.
    Public,
    /// RFC 1918, carrier-grade NAT (100.64/10), IETF protocol (192.0.0/24),
    /// IPv6 unique-local (fc00::/7) and deprecated site-local (fec0::/10).
    Private,
    /// 127/8 and ::1.
    Loopback,
    /// 169.254/16 and fe80::/10.
    LinkLocal,
    /// Documentation and benchmarking ranges: 192.0.2/24, 198.51.100/24,
    /// 203.0.113/24, 198.18/15, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// Not a host: unspecified, broadcast, multicast, reserved and unassigned
    /// space (this also covers netmasks such as 255.255.255.0).
    NotAHost,
}

impl IpScope {
    /// Whether an address of this scope is reported: public always, the
    /// internal ones only when `report_private`, non-hosts never.
    pub(crate) fn reportable(self, report_private: bool) -> bool {
        match self {
            IpScope::Public => true,
            IpScope::NotAHost => false,
            IpScope::Private | IpScope::Loopback | IpScope::LinkLocal | IpScope::Documentation => {
                report_private
            }
        }
    }
}

/// The scope of an IPv4 address.
pub(crate) fn ipv4_scope(octets: [u8; 4]) -> IpScope {
    match octets {
        [0, ..] | [255, 255, 255, 255] => IpScope::NotAHost,
        [a, ..] if a >= 224 => IpScope::NotAHost,
        [127, ..] => IpScope::Loopback,
        [169, 254, ..] => IpScope::LinkLocal,
        [10, ..] | [192, 168, ..] | [192, 0, 0, _] => IpScope::Private,
        [172, b, ..] if (16..=31).contains(&b) => IpScope::Private,
        [100, b, ..] if (64..=127).contains(&b) => IpScope::Private,
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => IpScope::Documentation,
        [198, 18 | 19, ..] => IpScope::Documentation,
        _ => IpScope::Public,
    }
}

/// The scope of an IPv6 address given as eight 16-bit groups. IPv4-mapped
/// (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses take the scope of the
/// IPv4 address they carry; only 2000::/3 is public unicast.
pub(crate) fn ipv6_scope(groups: [u16; 8]) -> IpScope {
    let embedded_v4 = || {
        let [.., hi, lo] = groups;
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        ipv4_scope([a, b, c, d])
    };
    match groups {
        [0, 0, 0, 0, 0, 0, 0, 1] => IpScope::Loopback,
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => embedded_v4(),
        [0x2001, 0x0db8, ..] => IpScope::Documentation,
        [first, ..] if first & 0xfff0 == 0x3ff0 => IpScope::Documentation,
        [first, ..] if first & 0xfe00 == 0xfc00 => IpScope::Private,
        [first, ..] if first & 0xffc0 == 0xfec0 => IpScope::Private,
        [first, ..] if first & 0xffc0 == 0xfe80 => IpScope::LinkLocal,
        [first, ..] if first & 0xe000 == 0x2000 => IpScope::Public,
        _ => IpScope::NotAHost,
    }
}

/// The values of `s` when it is made of ASCII digits only.
fn ascii_digits(s: &str) -> Option<Vec<u32>> {
    s.chars()
        .map(|c| c.is_ascii_digit().then(|| c.to_digit(10)).flatten())
        .collect()
}

/// True when every character of `s` is the same one (`0000…`, `4444…`).
fn all_same(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_none_or(|first| chars.all(|c| c == first))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 10-digit INN with its check digit computed here, for tests.
    fn inn10(prefix: &str) -> String {
        let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
        let sum: u32 = prefix
            .chars()
            .zip(w)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        format!("{prefix}{}", sum % 11 % 10)
    }

    /// A 12-digit INN with both check digits computed here, for tests.
    fn inn12(prefix: &str) -> String {
        let w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
        let w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
        let weigh = |s: &str, w: &[u32]| -> u32 {
            s.chars()
                .zip(w)
                .map(|(c, w)| c.to_digit(10).unwrap() * w)
                .sum::<u32>()
                % 11
                % 10
        };
        let eleven = format!("{prefix}{}", weigh(prefix, &w11));
        let check = weigh(&eleven, &w12);
        format!("{eleven}{check}")
    }

    /// A SNILS with its check number computed here, for tests.
    fn snils(number: &str) -> String {
        let sum: u32 = number
            .chars()
            .zip((1..=9).rev())
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let check = if sum < 100 {
            sum
        } else if sum <= 101 {
            0
        } else {
            sum % 101 % 100
        };
        format!("{number}{check:02}")
    }

    /// Flips the last digit, which breaks any check digit.
    fn bump_last(s: &str) -> String {
        let (head, last) = s.split_at(s.len() - 1);
        let d = last.parse::<u32>().unwrap();
        format!("{head}{}", (d + 1) % 10)
    }

    #[test]
    fn iban_lengths_cover_common_countries() {
        for (cc, len) in [
            ("DE", 22),
            ("GB", 22),
            ("FR", 27),
            ("NL", 18),
            ("NO", 15),
            ("RU", 33),
            ("LC", 32),
            ("MT", 31),
            ("CH", 21),
            ("UA", 29),
            ("BR", 29),
            ("SA", 24),
        ] {
            assert_eq!(iban_length(cc), Some(len), "{cc}");
        }
        for cc in ["US", "CN", "JP", "XX", "de", ""] {
            assert_eq!(iban_length(cc), None, "{cc}");
        }
    }

    #[test]
    fn card_networks_by_iin_and_length() {
        let cases: &[(&str, Option<CardNetwork>)] = &[
            ("4539148803436467", Some(CardNetwork::Visa)),
            ("4929182736450", Some(CardNetwork::Visa)),
            ("49291827364501", None),
            ("5128734091652834", Some(CardNetwork::Mastercard)),
            ("2223847102639417", Some(CardNetwork::Mastercard)),
            ("2721000000000000", None),
            ("374281630951725", Some(CardNetwork::Amex)),
            ("3742816309517250", None),
            ("6011738291045622", Some(CardNetwork::Discover)),
            ("6500293847162537", Some(CardNetwork::Discover)),
            ("3538174920637186", Some(CardNetwork::Jcb)),
            ("30519384726157", Some(CardNetwork::DinersClub)),
            ("6204819372645196", Some(CardNetwork::UnionPay)),
            ("2201384729163502", Some(CardNetwork::Mir)),
            ("6759000000000000", Some(CardNetwork::Maestro)),
            ("1234567812345670", None),
            ("9999999999999995", None),
        ];
        for (digits, want) in cases {
            assert_eq!(card_network(digits), *want, "{digits}");
        }
    }

    #[test]
    fn card_valid_needs_luhn_iin_and_variety() {
        assert!(card_valid("4539148803436467"));
        assert!(card_valid("374281630951725"));
        assert!(!card_valid("4539148803436468"), "Luhn typo");
        // Luhn-valid but no network starts with 1 or 9.
        assert!(luhn("1234567812345670"));
        assert!(!card_valid("1234567812345670"));
        assert!(!card_valid("4444444444444444"));
        assert!(!card_valid("4539 1488 0343 6467"), "digits only");
    }

    #[test]
    fn ssn_rules() {
        let cases = [
            ("536221847", true),
            ("123456789", true),
            ("000221847", false),
            ("666221847", false),
            ("900221847", false),
            ("999221847", false),
            ("536001847", false),
            ("536220000", false),
            ("078051120", false),
            ("219099999", false),
            ("53622184", false),
            ("53622184x", false),
        ];
        for (digits, want) in cases {
            assert_eq!(ssn_valid(digits), want, "{digits}");
        }
    }

    #[test]
    fn inn_checksums() {
        for prefix in ["502938471", "770708389", "631204857"] {
            let valid = inn10(prefix);
            assert!(inn_valid(&valid), "{valid}");
            assert!(!inn_valid(&bump_last(&valid)), "{valid} bumped");
        }
        for prefix in ["5009384710", "7743018264", "1623904857"] {
            let valid = inn12(prefix);
            assert!(inn_valid(&valid), "{valid}");
            assert!(!inn_valid(&bump_last(&valid)), "{valid} bumped");
        }
        // Hand-computed: 7,7,0,7,0,8,3,8,9 weighted = 14+28+0+21+0+72+12+48+72
        // = 267; 267 mod 11 = 3.
        assert!(inn_valid("7707083893"));
        assert!(!inn_valid("000000000000"), "passes the sums, region 00");
        assert!(!inn_valid("77070838931"), "11 digits");
        assert!(!inn_valid("770708389x"));
    }

    #[test]
    fn snils_checksums() {
        // Hand-computed: 1·9+1·8+2·7+2·6+3·5+3·4+4·3+4·2+5·1 = 95 → 95.
        assert!(snils_valid("11223344595"));
        assert!(!snils_valid("11223344596"));
        for number in ["154823907", "193847562", "987654321", "500500500"] {
            let valid = snils(number);
            assert!(snils_valid(&valid), "{valid}");
            assert!(!snils_valid(&bump_last(&valid)), "{valid} bumped");
        }
        // 9·9 + 1·8 + 1·7 + 1·6 = 102 → 102 mod 101 = 01.
        assert!(snils_valid("91110000001"));
        assert!(!snils_valid("00100199800"), "too small to carry a checksum");
        assert!(!snils_valid("1122334459"), "10 digits");
    }

    #[test]
    fn snils_sums_of_100_and_101_give_zero() {
        // Weights are 9..1 by position: 9·9 + 2·8 + 1·3 = 100.
        assert!(snils_valid("92000010000"));
        // 9·9 + 2·8 + 2·2 = 101.
        assert!(snils_valid("92000002000"));
        // 9·9 + 9·8 + 9·7 = 216 → 216 mod 101 = 14.
        assert!(snils_valid("99900000014"));
    }

    #[test]
    fn ipv4_scopes() {
        let cases = [
            ([84, 17, 52, 193], IpScope::Public),
            ([8, 8, 4, 4], IpScope::Public),
            ([10, 1, 2, 3], IpScope::Private),
            ([172, 16, 0, 1], IpScope::Private),
            ([172, 31, 255, 254], IpScope::Private),
            ([172, 32, 0, 1], IpScope::Public),
            ([192, 168, 1, 1], IpScope::Private),
            ([100, 64, 0, 1], IpScope::Private),
            ([100, 128, 0, 1], IpScope::Public),
            ([127, 0, 0, 1], IpScope::Loopback),
            ([169, 254, 10, 20], IpScope::LinkLocal),
            ([192, 0, 2, 10], IpScope::Documentation),
            ([198, 51, 100, 7], IpScope::Documentation),
            ([203, 0, 113, 9], IpScope::Documentation),
            ([198, 18, 0, 1], IpScope::Documentation),
            ([0, 0, 0, 0], IpScope::NotAHost),
            ([255, 255, 255, 255], IpScope::NotAHost),
            ([255, 255, 255, 0], IpScope::NotAHost),
            ([224, 0, 0, 251], IpScope::NotAHost),
        ];
        for (octets, want) in cases {
            assert_eq!(ipv4_scope(octets), want, "{octets:?}");
        }
    }

    #[test]
    fn ipv6_scopes() {
        let cases = [
            (
                [0x2a01, 0x4f8, 0xc17, 0x3b2e, 0, 0, 0, 0x1d4],
                IpScope::Public,
            ),
            ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], IpScope::Documentation),
            ([0x3fff, 0x12, 0, 0, 0, 0, 0, 1], IpScope::Documentation),
            ([0, 0, 0, 0, 0, 0, 0, 1], IpScope::Loopback),
            ([0, 0, 0, 0, 0, 0, 0, 0], IpScope::NotAHost),
            ([0xfe80, 0, 0, 0, 0x1, 0x2, 0x3, 0x4], IpScope::LinkLocal),
            ([0xfd12, 0x3456, 0, 0, 0, 0, 0, 1], IpScope::Private),
            ([0xff02, 0, 0, 0, 0, 0, 0, 1], IpScope::NotAHost),
            ([0, 0, 0, 0, 0, 0xffff, 0x5411, 0x34c1], IpScope::Public),
            ([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001], IpScope::Private),
            ([0xdead, 0, 0, 0, 0, 0, 0, 0xbeef], IpScope::NotAHost),
        ];
        for (groups, want) in cases {
            assert_eq!(ipv6_scope(groups), want, "{groups:x?}");
        }
    }

    #[test]
    fn scopes_reported_by_default_and_with_private() {
        assert!(IpScope::Public.reportable(false));
        assert!(!IpScope::Private.reportable(false));
        assert!(!IpScope::Documentation.reportable(false));
        assert!(IpScope::Private.reportable(true));
        assert!(IpScope::Documentation.reportable(true));
        assert!(!IpScope::NotAHost.reportable(true));
    }

    #[test]
    fn luhn_accepts_test_cards_and_rejects_typos() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("5500-0000-0000-0004"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(!luhn("7"));
    }

    #[test]
    fn mod97_accepts_valid_ibans() {
        assert!(mod97("GB82 WEST 1234 5698 7654 32"));
        assert!(mod97("DE89370400440532013000"));
        assert!(!mod97("DE89370400440532013001"));
        assert!(!mod97("DE89-3704"));
    }
}
