// SPDX-License-Identifier: Apache-2.0
//! Deterministic overlap resolution.
//!
//! Candidates that overlap (directly or through a chain) form one cluster and
//! become ONE finding:
//! - its span is the union of the cluster, so no sensitive character is left
//!   outside a mask because two detectors disagreed on the edges;
//! - its type, category and score come from the best candidate: higher
//!   priority (specific provider rules beat generic ones), then the longer
//!   span, then the higher score, then the earlier start, then the type name.

use super::Candidate;
use std::cmp::Ordering;

/// Resolves overlaps; the result is sorted by start and non-overlapping.
pub(crate) fn resolve(mut candidates: Vec<Candidate>) -> Vec<Candidate> {
    candidates.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Candidate> = Vec::with_capacity(candidates.len());
    let mut cluster_end = 0usize;
    for c in candidates {
        match out.last_mut() {
            Some(best) if c.start < cluster_end => {
                cluster_end = cluster_end.max(c.end);
                let union_start = best.start.min(c.start);
                if better(&c, best) == Ordering::Greater {
                    *best = c;
                }
                best.start = union_start;
                best.end = cluster_end;
            }
            _ => {
                cluster_end = c.end;
                out.push(c);
            }
        }
    }
    out
}

/// Orders two candidates by how well they describe a cluster.
fn better(a: &Candidate, b: &Candidate) -> Ordering {
    a.priority
        .cmp(&b.priority)
        .then((a.end - a.start).cmp(&(b.end - b.start)))
        .then(a.score.total_cmp(&b.score))
        .then(b.start.cmp(&a.start))
        .then(b.kind.cmp(&a.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Category;

    fn cand(start: usize, end: usize, kind: &'static str, priority: u8, score: f64) -> Candidate {
        Candidate {
            start,
            end,
            category: Category::Pii,
            kind: kind.into(),
            score,
            priority,
        }
    }

    #[test]
    fn disjoint_candidates_are_kept_in_order() {
        let out = resolve(vec![cand(10, 12, "b", 50, 0.5), cand(0, 3, "a", 50, 0.5)]);
        assert_eq!(
            out.iter().map(|c| c.kind.as_ref()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn priority_beats_length_and_span_is_the_union() {
        let out = resolve(vec![
            cand(0, 20, "generic", 50, 0.9),
            cand(5, 25, "specific", 90, 0.5),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, "specific");
        assert_eq!((out[0].start, out[0].end), (0, 25));
    }

    #[test]
    fn longer_wins_at_equal_priority_then_score() {
        let out = resolve(vec![
            cand(0, 5, "short", 50, 0.9),
            cand(0, 9, "long", 50, 0.1),
        ]);
        assert_eq!(out[0].kind, "long");
        let out = resolve(vec![
            cand(0, 5, "low", 50, 0.1),
            cand(0, 5, "high", 50, 0.9),
        ]);
        assert_eq!(out[0].kind, "high");
    }

    #[test]
    fn chains_merge_into_one_cluster() {
        let out = resolve(vec![
            cand(0, 4, "a", 50, 0.5),
            cand(3, 8, "b", 50, 0.5),
            cand(7, 12, "c", 60, 0.5),
            cand(12, 14, "d", 50, 0.5),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].start, out[0].end, out[0].kind.as_ref()),
            (0, 12, "c")
        );
        assert_eq!(out[1].kind, "d");
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let a = vec![
            cand(0, 4, "x", 50, 0.5),
            cand(0, 4, "y", 50, 0.5),
            cand(2, 6, "z", 40, 0.9),
        ];
        let mut b = a.clone();
        b.reverse();
        assert_eq!(resolve(a), resolve(b));
    }
}
