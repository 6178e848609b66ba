# SPDX-License-Identifier: Apache-2.0
"""envoy-config/grafana-dashboard.json against a real Envoy: every query
parses (in the PromQL subset scripts/render-dashboard evaluates), every
metric it reads is one Envoy really exports with the filter loaded, and
every label it groups or filters by is really on that metric (which checks
the stats_tags in envoy-config/envoy.yaml too)."""
import json
import math
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import promql_subset as promql  # noqa: E402

DASHBOARD = ROOT / "envoy-config" / "grafana-dashboard.json"
EMAIL = "alice.liddell@wonderland.example"
OPENAI_KEY = "sk-proj-Zr4Qm8Tn2Vx6Lp0Kc9Hs3Wd7Fb1Jg5YeA2uN"


def queries():
    doc = json.loads(DASHBOARD.read_text())
    for panel in doc["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target["expr"].replace("$__rate_interval", "1m")


def selectors_and_groupings(node, by=()):
    """(metric, labels the query needs on it) for every selector."""
    tag = node[0]
    if tag == "sel":
        yield node[1], set(by) | {label for label, _, _ in node[2]}
    elif tag == "func":
        yield from selectors_and_groupings(node[2], by)
    elif tag == "agg":
        yield from selectors_and_groupings(node[3], set(by) | set(node[2]))
    elif tag == "quantile":
        yield from selectors_and_groupings(node[2], by)


def chat(text):
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]}


def scrape(gateway):
    return promql.parse_exposition(gateway.admin("/stats/prometheus"))


def test_dashboard_reads_only_metrics_envoy_exports(gateway, mock):
    before = scrape(gateway)
    assert gateway.post("/v1/chat/completions", body=chat(f"Email {EMAIL} today.")).status == 200
    assert gateway.post("/v1/chat/completions", body=chat(f"My key is {OPENAI_KEY}")).status == 403
    after = scrape(gateway)
    exported = {}
    for name, labels in after:
        exported.setdefault(name, set()).update(k for k, _ in labels)
    checked = set()
    for title, expr in queries():
        node = promql.parse(expr)
        for metric, labels in selectors_and_groupings(node):
            assert metric in exported, f"panel {title!r} reads {metric}, which Envoy does not export"
            if metric.endswith("_bucket"):
                labels = labels - {"le"}
            missing = labels - exported[metric]
            assert not missing, f"panel {title!r}: {metric} has no label(s) {sorted(missing)}"
            checked.add(metric)
    assert {"shroud_actions_taken", "shroud_findings_detected", "shroud_requests_blocked",
            "shroud_placeholders_issued", "shroud_responses_rehydrated",
            "shroud_processing_duration_us_bucket"} <= checked

    # The traffic above moves the panels it should.
    store = promql.Series([(0.0, before), (1.0, after)])

    def delta(expr, label=None):
        result = store.evaluate(promql.parse(expr), 1)
        return {dict(k).get(label, "") if label else "": v for k, v in result.items()}

    blocked = delta("sum by (reason) (increase(shroud_requests_blocked[1m]))", "reason")
    assert blocked.get("secret", 0) > 0 and blocked.get("pii", 0) == 0, blocked
    actions = delta('sum by (action) (increase(shroud_actions_taken{mode="enforce"}[1m]))', "action")
    assert actions.get("mask", 0) > 0 and actions.get("block", 0) > 0, actions
    assert delta("sum(increase(shroud_placeholders_issued[1m]))")[""] > 0
    assert delta("sum(increase(shroud_responses_rehydrated[1m]))")[""] > 0


# ---------------------------------------------------------------------------
# the evaluator itself (no Envoy)


def sample(**series):
    return {(name, frozenset(labels)): v for name, (labels, v) in series.items()}


def test_every_dashboard_query_parses():
    for title, expr in queries():
        assert promql.metric_names(promql.parse(expr)), title


@pytest.mark.parametrize("expr", [
    "rate(foo)",                    # rate needs a range
    "sum by (a) (foo",              # unbalanced
    "foo{a~\"b\"}",                 # not an operator
    "foo + bar",                    # binary operators are not supported
])
def test_unsupported_queries_are_refused(expr):
    with pytest.raises(promql.PromQLError):
        promql.parse(expr)


def test_rate_handles_counter_resets_and_sum_by_groups():
    text = "\n".join([
        '# TYPE c counter',
        'c{a="x",b="1"} 10', 'c{a="x",b="2"} 5', 'c{a="y",b="1"} 1',
    ])
    s0 = promql.parse_exposition(text)
    s1 = promql.parse_exposition(text.replace("} 10", "} 30").replace('"2"} 5', '"2"} 2'))
    store = promql.Series([(0.0, s0), (10.0, s1)])
    got = store.evaluate(promql.parse('sum by (a) (rate(c[20s]))'), 1)
    # a=x: +20 on b=1, reset to 2 on b=2 (counts as +2) -> 22 / 10 s
    assert got[frozenset({("a", "x")})] == pytest.approx(2.2)
    assert got[frozenset({("a", "y")})] == 0
    only_x = store.evaluate(promql.parse('sum(increase(c{a="x",b!="2"}[20s]))'), 1)
    assert only_x == {frozenset(): pytest.approx(40.0)}  # 2/s over the 20 s window
    assert store.evaluate(promql.parse("rate(c[20s])"), 0) == {}  # one sample: no rate


def test_histogram_quantile_interpolates_like_prometheus():
    buckets = [(1.0, 0), (10.0, 50), (100.0, 100), (math.inf, 100)]
    assert promql._quantile(0.5, buckets) == pytest.approx(10.0)
    assert promql._quantile(0.75, buckets) == pytest.approx(55.0)
    assert promql._quantile(0.99, [(1.0, 0), (math.inf, 10)]) == 1.0  # in +Inf: last bound
    assert math.isnan(promql._quantile(0.5, [(1.0, 0), (math.inf, 0)]))
