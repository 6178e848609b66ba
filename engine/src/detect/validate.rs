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
    sum % 10 == 0
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

#[cfg(test)]
mod tests {
    use super::*;

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
