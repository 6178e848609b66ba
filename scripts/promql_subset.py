# SPDX-License-Identifier: Apache-2.0
"""The small subset of PromQL that envoy-config/grafana-dashboard.json uses,
evaluated over Envoy /stats/prometheus scrapes kept in memory.

scripts/render-dashboard draws the dashboard from a real Envoy run without a
Prometheus server; tests/e2e/test_dashboard.py checks that every query parses
and names a metric the filter emits. Supported:

  selector      name{label="v",label!="v",label=~"re",label!~"re"}
  range         selector[10s]  (inside rate/increase only)
  functions     rate(range), increase(range), histogram_quantile(q, vector)
  aggregation   sum|min|max|avg [by (labels)] (vector), `by` before or after

rate() is the counter increase (resets handled) over the samples inside the
window divided by the time they span; unlike Prometheus it does not
extrapolate to the window's edges. `$__rate_interval` is substituted by the
caller.
"""
import math
import re

TOKEN = re.compile(r"""\s*(?:
    (?P<dur>\d+[smhd])(?![a-zA-Z0-9_])
  | (?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![a-zA-Z0-9_.])
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<op>=~|!~|!=|=|[(){}\[\],])
)""", re.X)

FUNCTIONS = {"rate", "increase", "histogram_quantile"}
AGGREGATIONS = {"sum", "min", "max", "avg"}
KEYWORDS = FUNCTIONS | AGGREGATIONS | {"by"}


class PromQLError(ValueError):
    pass


def tokenize(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PromQLError(f"unexpected input at {pos}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def seconds(duration):
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]


class Parser:
    def __init__(self, text):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, offset=0):
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else (None, None)

    def take(self, value=None, kind=None):
        tok = self.peek()
        if (value is not None and tok[1] != value) or (kind is not None and tok[0] != kind):
            raise PromQLError(f"expected {value or kind}, got {tok[1]!r}")
        self.i += 1
        return tok[1]

    def parse(self):
        node = self.expr()
        if self.i != len(self.tokens):
            raise PromQLError(f"trailing input: {self.peek()[1]!r}")
        return node

    def labels(self):
        self.take("(")
        names = []
        while self.peek()[1] != ")":
            names.append(self.take(kind="ident"))
            if self.peek()[1] == ",":
                self.take(",")
        self.take(")")
        return names

    def expr(self):
        kind, value = self.peek()
        if kind == "num":
            self.i += 1
            return ("num", float(value))
        if kind != "ident":
            raise PromQLError(f"expected an expression, got {value!r}")
        if value in AGGREGATIONS:
            self.i += 1
            by = self.labels() if self.peek()[1] == "by" and self.take("by") else None
            self.take("(")
            inner = self.expr()
            self.take(")")
            if by is None and self.peek()[1] == "by":
                self.take("by")
                by = self.labels()
            return ("agg", value, by or [], inner)
        if value in ("rate", "increase"):
            self.i += 1
            self.take("(")
            sel = self.selector()
            if sel[3] is None:
                raise PromQLError(f"{value}() needs a range selector")
            self.take(")")
            return ("func", value, sel)
        if value == "histogram_quantile":
            self.i += 1
            self.take("(")
            q = float(self.take(kind="num"))
            self.take(",")
            inner = self.expr()
            self.take(")")
            return ("quantile", q, inner)
        return self.selector()

    def selector(self):
        name = self.take(kind="ident")
        if name in KEYWORDS:
            raise PromQLError(f"{name} is not a metric name")
        matchers = []
        if self.peek()[1] == "{":
            self.take("{")
            while self.peek()[1] != "}":
                label = self.take(kind="ident")
                op = self.take(kind="op")
                if op not in ("=", "!=", "=~", "!~"):
                    raise PromQLError(f"bad matcher operator {op!r}")
                raw = self.take(kind="str")
                matchers.append((label, op, bytes(raw[1:-1], "utf-8").decode("unicode_escape")))
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
        window = None
        if self.peek()[1] == "[":
            self.take("[")
            window = seconds(self.take(kind="dur"))
            self.take("]")
        return ("sel", name, matchers, window)


def parse(text):
    return Parser(text).parse()


def metric_names(node):
    """Every metric name a parsed query reads."""
    tag = node[0]
    if tag == "sel":
        return {node[1]}
    if tag == "func":
        return metric_names(node[2])
    if tag == "agg":
        return metric_names(node[3])
    if tag == "quantile":
        return metric_names(node[2])
    return set()


# ---------------------------------------------------------------------------
# scrapes

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    """{(name, frozenset(labels)): value} from Prometheus text format."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            continue
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        try:
            out[(m.group(1), labels)] = float(m.group(3))
        except ValueError:
            continue
    return out


def _matches(labels, matchers):
    d = dict(labels)
    for label, op, value in matchers:
        have = d.get(label, "")
        if op == "=" and have != value:
            return False
        if op == "!=" and have == value:
            return False
        if op == "=~" and not re.fullmatch(value, have):
            return False
        if op == "!~" and re.fullmatch(value, have):
            return False
    return True


def _increase(values):
    total = 0.0
    for prev, cur in zip(values, values[1:]):
        total += cur - prev if cur >= prev else cur  # counter reset
    return total


def _quantile(q, buckets):
    """Prometheus' histogram_quantile over [(le, cumulative count)]."""
    buckets = sorted(buckets)
    if not buckets or not math.isinf(buckets[-1][0]):
        return math.nan
    total = buckets[-1][1]
    if total <= 0:
        return math.nan
    rank = q * total
    prev_le, prev_count = 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if math.isinf(le):
                return prev_le
            if count == prev_count:
                return le
            return prev_le + (le - prev_le) * (rank - prev_count) / (count - prev_count)
        prev_le, prev_count = le, count
    return prev_le


class Series:
    """Scrapes over time: [(t, {(name, labels): value})], oldest first."""

    def __init__(self, scrapes):
        self.scrapes = scrapes

    def evaluate(self, node, at):
        """Instant vector {labels: value} at scrape index `at`."""
        tag = node[0]
        if tag == "num":
            return {frozenset(): node[1]}
        if tag == "sel":
            _, name, matchers, window = node
            if window is not None:
                raise PromQLError("a range selector outside rate()/increase()")
            _, sample = self.scrapes[at]
            return {labels: v for (n, labels), v in sample.items()
                    if n == name and _matches(labels, matchers)}
        if tag == "func":
            _, fn, (_, name, matchers, window) = node
            t_end = self.scrapes[at][0]
            inside = [(t, s) for t, s in self.scrapes[: at + 1] if t >= t_end - window]
            per_series = {}
            for t, sample in inside:
                for (n, labels), v in sample.items():
                    if n == name and _matches(labels, matchers):
                        per_series.setdefault(labels, []).append((t, v))
            out = {}
            for labels, points in per_series.items():
                if len(points) < 2 or points[-1][0] <= points[0][0]:
                    continue
                inc = _increase([v for _, v in points])
                rate = inc / (points[-1][0] - points[0][0])
                out[labels] = rate if fn == "rate" else rate * window
            return out
        if tag == "agg":
            _, op, by, inner = node
            groups = {}
            for labels, v in self.evaluate(inner, at).items():
                key = frozenset((k, val) for k, val in labels if k in by)
                groups.setdefault(key, []).append(v)
            reduce = {"sum": sum, "min": min, "max": max, "avg": lambda xs: sum(xs) / len(xs)}[op]
            return {k: reduce(vs) for k, vs in groups.items()}
        if tag == "quantile":
            _, q, inner = node
            groups = {}
            for labels, v in self.evaluate(inner, at).items():
                d = dict(labels)
                le = d.pop("le", None)
                if le is None:
                    continue
                groups.setdefault(frozenset(d.items()), []).append((float(le), v))
            return {k: _quantile(q, b) for k, b in groups.items()}
        raise PromQLError(f"unknown node {tag}")

    def range_query(self, text):
        """{labels: [value or nan per scrape]} over the whole run."""
        node = parse(text)
        out = {}
        for i in range(len(self.scrapes)):
            for labels, v in self.evaluate(node, i).items():
                out.setdefault(labels, [math.nan] * len(self.scrapes))[i] = v
        return out
