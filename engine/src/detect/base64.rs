// SPDX-License-Identifier: Apache-2.0
//! A tiny base64 decoder (standard and URL-safe alphabets, padding optional),
//! shared by the secret detectors and the injection scorer:
//! enough to read a JWT header or a Basic-auth value without a dependency.

/// Decodes `input`; `None` when it is not base64 or decodes to more than
/// `max_out` bytes.
pub(crate) fn decode(input: &str, max_out: usize) -> Option<Vec<u8>> {
    let data = input.trim_end_matches('=');
    if data.len() % 4 == 1 || input.len() - data.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity((data.len() * 3 / 4).min(max_out));
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for byte in data.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
            acc &= (1 << bits) - 1;
            if out.len() > max_out {
                return None;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_both_alphabets_with_and_without_padding() {
        assert_eq!(decode("dXNlcjpwYXNz", 64).unwrap(), b"user:pass");
        assert_eq!(decode("YQ==", 64).unwrap(), b"a");
        assert_eq!(decode("YQ", 64).unwrap(), b"a");
        assert_eq!(decode("-_8", 64).unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8=", 64).unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("", 64).unwrap(), b"");
    }

    #[test]
    fn rejects_bad_input_and_long_output() {
        assert!(decode("a", 64).is_none());
        assert!(decode("ab!d", 64).is_none());
        assert!(decode("YQ===", 64).is_none());
        assert!(decode("dXNlcjpwYXNz", 4).is_none());
    }
}
