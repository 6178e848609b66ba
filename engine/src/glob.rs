// SPDX-License-Identifier: Apache-2.0
//! Name globs for tool and model allowlists: `*` matches any run of
//! characters, `?` exactly one; everything else matches itself. Case
//! sensitive, like the names they test (MCP tool names, model ids).

/// True when `name` matches `glob` as a whole.
pub fn matches(glob: &str, name: &str) -> bool {
    let pattern: Vec<char> = glob.chars().collect();
    let text: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with one backtrack point: linear in
    // practice, never exponential.
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// True when any glob of `globs` matches `name`.
pub fn any(globs: &[String], name: &str) -> bool {
    globs.iter().any(|g| matches(g, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("read_*", "read_file", true),
            ("read_*", "write_file", false),
            ("read_*", "read_", true),
            ("*_file", "read_file", true),
            ("gpt-4o*", "gpt-4o-mini", true),
            ("gpt-4o*", "gpt-4", false),
            ("claude-?-*", "claude-3-opus", true),
            ("claude-?-*", "claude-35-opus", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("exact", "exact", true),
            ("exact", "exact2", false),
            ("exact", "Exact", false),
            ("**", "x", true),
            ("*.*", "a.b", true),
            ("*.*", "ab", false),
            ("инструмент_*", "инструмент_1", true),
        ];
        for (glob, name, want) in cases {
            assert_eq!(matches(glob, name), want, "{glob} vs {name}");
        }
    }

    #[test]
    fn pathological_globs_stay_fast() {
        let glob = "*a*a*a*a*a*a*a*a*a*b";
        let name = "a".repeat(5000);
        assert!(!matches(glob, &name));
    }
}
