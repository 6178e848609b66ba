// SPDX-License-Identifier: Apache-2.0
//! `shroud detectors`: the built-in detector catalog, as a table or JSON.
//! The README's detector table is this command's Markdown output.

use serde_json::json;
use shroud_engine::detect::catalog::builtin_types;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A Markdown table (what the README embeds).
    Markdown,
    /// One JSON object per line.
    Json,
}

/// The catalog rendered in `format`.
pub fn render(format: Format) -> String {
    match format {
        Format::Markdown => markdown(),
        Format::Json => builtin_types()
            .iter()
            .map(|t| {
                json!({"type": t.id, "category": t.category, "validator": t.validator, "example": t.example})
                    .to_string()
                    + "\n"
            })
            .collect(),
    }
}

fn markdown() -> String {
    let mut out = String::from("| type | category | validated by | example |\n|---|---|---|---|\n");
    for t in builtin_types() {
        let example = t.example.replace('|', "\\|").replace('\n', "\\n");
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` |\n",
            t.id, t.category, t.validator, example
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README table is generated: regenerate with
    /// `cargo run -q -p shroud-host -- detectors --format markdown`.
    #[test]
    fn readme_detector_table_is_current() {
        let readme = include_str!("../../README.md");
        let begin = "<!-- detectors:begin -->\n";
        let end = "<!-- detectors:end -->";
        let start = readme
            .find(begin)
            .expect("README lacks the detectors:begin marker")
            + begin.len();
        let stop = readme
            .find(end)
            .expect("README lacks the detectors:end marker");
        assert_eq!(
            &readme[start..stop],
            markdown(),
            "README detector table is stale: run scripts/gen-docs"
        );
    }

    #[test]
    fn json_lists_every_type() {
        let lines = render(Format::Json).lines().count();
        assert_eq!(lines, builtin_types().len());
    }
}
