// SPDX-License-Identifier: Apache-2.0
//! Dates of birth. A date alone is not personal (release dates, deadlines),
//! so only a valid calendar date next to "DOB", "born", "дата рождения" and
//! the like counts.

use super::bounds::numeric_bounds_ok;
use super::context_prefilter::ContextPrefilter;
use super::{builtin_path, candidate, words};
use crate::detect::context::has_context;
use crate::detect::pattern::compile;
use crate::detect::prefilter::LiteralRegistry;
use crate::detect::runs::find_near;
use crate::detect::text::Text;
use crate::detect::{Candidate, Detector, priority};
use crate::error::ConfigError;
use regex::{Captures, Regex};

pub(super) const ID: &str = "date_of_birth";
const SCORE: f64 = 0.75;
const CONTEXT_WINDOW: usize = 24;
const MIN_YEAR: u32 = 1900;
const MAX_YEAR: u32 = 2099;

/// English and Russian (genitive) month names by their first letters.
const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("янв", 1),
    ("фев", 2),
    ("мар", 3),
    ("апр", 4),
    ("мая", 5),
    ("июн", 6),
    ("июл", 7),
    ("авг", 8),
    ("сен", 9),
    ("окт", 10),
    ("ноя", 11),
    ("дек", 12),
];

/// What every context word holds (see [`ContextPrefilter`]).
pub(super) const LITERALS: &[&str] = &[
    "dob",
    "d.o.b",
    "birth",
    "born",
    "рожд",
    "родил",
    "д.р",
    "geburt",
    "naissance",
    "nacimiento",
];

pub(super) struct DobDetector {
    prefilter: ContextPrefilter,
    date: Regex,
    context: Vec<String>,
}

impl DobDetector {
    pub(super) fn new(registry: &mut LiteralRegistry) -> Result<Self, ConfigError> {
        let path = builtin_path(ID);
        let prefilter = ContextPrefilter::new(LITERALS, registry, &path)?;
        let month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|янв|фев|мар|апр|мая|июн|июл|авг|сен|окт|ноя|дек)\p{L}*\.?";
        let date = compile(
            &format!(
                r"(?i)(?-u:\b)(?:(?P<y1>[0-9]{{4}})-(?P<m1>[0-9]{{2}})-(?P<d1>[0-9]{{2}})|(?P<d2>[0-9]{{1,2}})([./-])(?P<m2>[0-9]{{1,2}})[./-](?P<y2>[0-9]{{4}})|(?P<d3>[0-9]{{1,2}}) (?P<mn3>{month}),? (?P<y3>[0-9]{{4}})|(?P<mn4>{month}) (?P<d4>[0-9]{{1,2}}),? (?P<y4>[0-9]{{4}}))(?-u:\b)"
            ),
            &path,
        )?;
        Ok(DobDetector {
            prefilter,
            date,
            context: words(&[
                "dob",
                "d.o.b",
                "date of birth",
                "birth date",
                "birthdate",
                "birthday",
                "born",
                "born on",
                "дата рождения",
                "рождения",
                "д.р",
                "родился",
                "родилась",
                "geburtsdatum",
                "date de naissance",
                "fecha de nacimiento",
            ]),
        })
    }
}

/// How far from a date, in bytes, a prefilter hit can be when a context
/// word is within [`CONTEXT_WINDOW`] chars of it: four bytes per char, plus
/// the longest prefilter literal (a hit may start before the word it is in).
const HIT_REACH: usize = CONTEXT_WINDOW * 4 + 16;

impl DobDetector {
    /// True when a prefilter hit (of `hits`, in text order) is within
    /// [`HIT_REACH`] of `start..end`. Every context word holds a prefilter
    /// match, so a date with none this close has no context word.
    fn near_a_hit(hits: &[(usize, usize)], start: usize, end: usize) -> bool {
        let before_end = hits.partition_point(|&(s, _)| s < end + HIT_REACH);
        before_end
            .checked_sub(1)
            .and_then(|last| hits.get(last))
            .is_some_and(|&(_, e)| e + HIT_REACH > start)
    }
}

impl Detector for DobDetector {
    fn detect_text(&self, shared: &Text<'_>, out: &mut Vec<Candidate>) {
        let text = shared.as_str();
        if !has_year(text, shared.digit_sequences()) || !shared.has_digits(5) {
            return;
        }
        let hits = self.prefilter.hits(shared);
        if hits.is_empty() {
            return;
        }
        // Dates are everywhere in logs and JSON; the cheap checks go first
        // (is a context word possible this close?) and the capture groups
        // (a slower engine than `find`) are read only for the few dates
        // next to a context word. `captures_at` from the match start finds
        // that same match again.
        self.dates_near(text, &hits, |m| {
            if numeric_bounds_ok(text, m.start(), m.end())
                && Self::near_a_hit(&hits, m.start(), m.end())
                && has_context(text, m.start(), m.end(), CONTEXT_WINDOW, &self.context)
                && self
                    .date
                    .captures_at(text, m.start())
                    .is_some_and(|caps| date_ok(&caps))
            {
                out.push(candidate(m.start(), m.end(), ID, SCORE, priority::GENERIC));
            }
        });
    }
}

impl DobDetector {
    /// The date matches a search of the whole text finds (leftmost first,
    /// without overlap) in the runs of date bytes within [`HIT_REACH`] of a
    /// hit, found by searching only those runs: most of a long text is far
    /// from any hit.
    fn dates_near<'t>(
        &self,
        text: &'t str,
        hits: &[(usize, usize)],
        each: impl FnMut(regex::Match<'t>),
    ) {
        let windows = hits
            .iter()
            .map(|&(start, end)| (start.saturating_sub(HIT_REACH), end + HIT_REACH));
        find_near(&self.date, text, is_date_byte, windows, each);
    }
}

/// The bytes a date is written with: letters and digits (month names), and
/// the separators ` ,./-` the date forms use.
fn is_date_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b' ' | b',' | b'.' | b'/' | b'-')
}

/// True when `text` holds a year a date could end in: every date form the
/// regex reads has its year as a run of exactly four ASCII digits (a
/// boundary or separator on each side), and `date_ok` takes 1900–2099 only.
/// Most texts have none, and this skips the context-word search, which in
/// wasm is a pass over the whole text.
fn has_year(text: &str, mut digit_sequences: impl Iterator<Item = (usize, usize)>) -> bool {
    digit_sequences.any(|(start, end)| {
        end - start == 4
            && text
                .get(start..end)
                .and_then(|year| year.parse::<u32>().ok())
                .is_some_and(|year| (MIN_YEAR..=MAX_YEAR).contains(&year))
    })
}

/// The captured day, month and year form a real calendar date. `03/04/1990`
/// is valid as either day/month or month/day.
fn date_ok(caps: &Captures<'_>) -> bool {
    let num = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let month_name = |name: &str| {
        let lower = caps.name(name)?.as_str().to_lowercase();
        MONTHS
            .iter()
            .find(|(prefix, _)| lower.starts_with(prefix))
            .map(|(_, n)| *n)
    };
    let (year, candidates) = if let (Some(y), Some(m), Some(d)) = (num("y1"), num("m1"), num("d1"))
    {
        (y, vec![(m, d)])
    } else if let (Some(y), Some(a), Some(b)) = (num("y2"), num("m2"), num("d2")) {
        (y, vec![(a, b), (b, a)])
    } else if let (Some(y), Some(m), Some(d)) = (num("y3"), month_name("mn3"), num("d3")) {
        (y, vec![(m, d)])
    } else if let (Some(y), Some(m), Some(d)) = (num("y4"), month_name("mn4"), num("d4")) {
        (y, vec![(m, d)])
    } else {
        return false;
    };
    (MIN_YEAR..=MAX_YEAR).contains(&year)
        && candidates
            .iter()
            .any(|&(m, d)| (1..=12).contains(&m) && d >= 1 && d <= days_in_month(year, m))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::super::bounds::digit_sequences;
    use super::*;
    use crate::detect::prefilter::Walked;
    use proptest::prelude::*;

    proptest! {
        /// Searching only around the hits finds every date near a hit that
        /// a search of the whole text finds, and no other.
        #[test]
        fn searching_near_hits_finds_what_the_whole_search_finds(parts in proptest::collection::vec(
            prop_oneof![
                Just("DOB "), Just("born "), Just("1987-04-12"), Just("12.04.1987"),
                Just("01-02-2003-04-05"), Just("March 3, 1985"), Just("3 Sept 1985"),
                Just("Mayyyyyy 12, 2001"), Just("12"), Just("2001"), Just(" "), Just(","),
                Just("."), Just("-"), Just("/"), Just("\n"), Just("\""), Just(":"), Just("_"),
                Just("x"), Just("ж"),
                Just("lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "),
            ],
            0..40,
        )) {
            static DOB: std::sync::LazyLock<DobDetector> =
                std::sync::LazyLock::new(|| DobDetector::new(&mut LiteralRegistry::default()).unwrap());
            let (text, dob) = (parts.concat(), &*DOB);
            let hits: Vec<(usize, usize)> =
                dob.prefilter.regex().find_iter(&text).map(|m| (m.start(), m.end())).collect();
            let near = |m: &regex::Match<'_>| DobDetector::near_a_hit(&hits, m.start(), m.end());
            let span = |m: regex::Match<'_>| (m.start(), m.end());
            let whole: Vec<_> = dob.date.find_iter(&text).filter(near).map(span).collect();
            let mut ours = Vec::new();
            dob.dates_near(&text, &hits, |m| ours.push(m));
            let ours: Vec<_> = ours.into_iter().filter(near).map(span).collect();
            for m in dob.date.find_iter(&text) {
                prop_assert!(m.as_str().bytes().all(|b| b >= 0x80 || is_date_byte(b)), "{:?}", m);
            }
            prop_assert_eq!(ours, whole, "{:?}", text);
        }
    }

    /// As the scanner runs it: the context words' hits from the shared walk.
    static WALKED: std::sync::LazyLock<Walked<DobDetector>> =
        std::sync::LazyLock::new(|| Walked::new(DobDetector::new).unwrap());

    fn found(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        WALKED.detect(text, &mut out);
        let mut alone = Vec::new();
        WALKED.detector.detect(text, &mut alone);
        assert_eq!(out, alone, "{text}: the walk and the regex disagree");
        out.iter().map(|c| &text[c.start..c.end]).collect()
    }

    #[test]
    fn dates_next_to_birth_words() {
        let cases: &[(&str, &[&str])] = &[
            ("DOB: 1987-04-12", &["1987-04-12"]),
            ("date of birth 12.04.1987.", &["12.04.1987"]),
            ("born 04/12/1987 in Ohio", &["04/12/1987"]),
            ("Born on March 3, 1985", &["March 3, 1985"]),
            ("birthday: 3 Sept 1985", &["3 Sept 1985"]),
            ("Дата рождения: 15 марта 1985 г.", &["15 марта 1985"]),
            ("родился 29.02.2000", &["29.02.2000"]),
            ("DOB 30.02.1987", &[]),
            ("DOB 29.02.1900", &[]),
            ("born 13/13/1987", &[]),
            ("DOB 1887-04-12", &[]),
            ("released 1987-04-12", &[]),
            ("birth 1987-04-12T10:00", &[]),
            ("д.р 01.02.1990", &["01.02.1990"]),
            ("д.р. 01.02.1990", &["01.02.1990"]),
            // 24 chars from the word's start to the date's, 34 bytes
            ("DOB ж ж ж ж ж ж ж ж ж ж 01.02.1990", &["01.02.1990"]),
            ("DOB ж ж ж ж ж ж ж ж ж ж ж 01.02.1990", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(text), *want, "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The year gate never hides a date the regex and `date_ok` accept.
        #[test]
        fn every_date_has_a_year(text in dates()) {
            let detector = &WALKED.detector;
            for m in detector.date.find_iter(&text) {
                let valid = detector.date.captures_at(&text, m.start()).is_some_and(|c| date_ok(&c));
                proptest::prop_assert!(!valid || has_year(&text, digit_sequences(&text)), "{text:?}: {}", m.as_str());
            }
        }
    }

    proptest::proptest! {
        /// The hit gate only skips dates without a context word: the same
        /// dates as checking the context of every date.
        #[test]
        fn the_hit_gate_keeps_every_date_in_context(parts in proptest::collection::vec(
            proptest::prop_oneof![
                dates(),
                "(DOB|dob|Born|BIRTH|д\\.р\\.?|Д\\.Р|Дата рождения|ДАТА РОЖДЕНИЯ|РоДиЛсЯ|родилась|ᲁ\\.р|рᲂжд|Geburtsdatum|d\\.O\\.b|naiſſance|bİrth|date de NAISSANCE|nacimiento) ?:? ?",
                "[a-z ]{0,40}",
                "[é😀ж ]{0,30}",
            ],
            0..12,
        )) {
            let text = parts.concat();
            let detector = &WALKED.detector;
            let (mut gated, mut alone) = (Vec::new(), Vec::new());
            WALKED.detect(&text, &mut gated);
            detector.detect(&text, &mut alone);
            proptest::prop_assert_eq!(&gated, &alone, "{:?}", text);
            let every: Vec<(usize, usize)> = detector
                .date
                .find_iter(&text)
                .filter(|m| {
                    numeric_bounds_ok(&text, m.start(), m.end())
                        && has_context(&text, m.start(), m.end(), CONTEXT_WINDOW, &detector.context)
                        && detector.date.captures_at(&text, m.start()).is_some_and(|c| date_ok(&c))
                })
                .map(|m| (m.start(), m.end()))
                .collect();
            let gated: Vec<(usize, usize)> = gated.iter().map(|c| (c.start, c.end)).collect();
            proptest::prop_assert_eq!(gated, every, "{:?}", text);
        }
    }

    /// Date-shaped text: numbers of every length, separators, month names.
    fn dates() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "[0-9]{1,5}",
            "(19|20)[0-9]{2}",
            "[0-3]?[0-9][./-][01]?[0-9][./-](19|20)[0-9]{2}",
            "(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]",
            "[0-3]?[0-9] (March|Sept|мая|dec),? (19|20)[0-9]{2}",
            "[-./ ,]",
            "(March|Sept|мая|dec)",
            "[a_é]",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|parts| parts.concat())
    }

    #[test]
    fn year_gate() {
        assert!(has_year(
            "born 1987-04-12",
            digit_sequences("born 1987-04-12")
        ));
        assert!(has_year("2099", digit_sequences("2099")));
        assert!(has_year("1 March 1900", digit_sequences("1 March 1900")));
        assert!(!has_year(
            "order 12345 at 18:04, room 2100, code 19877",
            digit_sequences("order 12345 at 18:04, room 2100, code 19877")
        ));
        assert!(!has_year("no digits", digit_sequences("no digits")));
    }
}
