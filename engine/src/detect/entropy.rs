// SPDX-License-Identifier: Apache-2.0
//! Shannon entropy: separates real secrets (`Xk9#pQ2z…`) from documentation
//! values (`changeme`, `xxxxxxxx`, `<your-key>`).

/// Bits per character of `s`, over its chars; 0 for an empty string.
pub(crate) fn shannon(s: &str) -> f64 {
    let mut counts: Vec<(char, u32)> = Vec::new();
    let mut total = 0u32;
    for ch in s.chars() {
        total += 1;
        match counts.iter_mut().find(|(c, _)| *c == ch) {
            Some((_, n)) => *n += 1,
            None => counts.push((ch, 1)),
        }
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .iter()
        .map(|&(_, n)| {
            let p = f64::from(n) / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::shannon;

    #[test]
    fn entropy_orders_placeholders_below_secrets() {
        assert_eq!(shannon(""), 0.0);
        assert_eq!(shannon("aaaaaaaa"), 0.0);
        assert!(shannon("changeme") < 3.0);
        assert!(shannon("xxxxxxxxxxxxxxxx") < 1.0);
        assert!(shannon("Xk9#pQ2zR7!mW4vL") > 3.5);
    }
}
