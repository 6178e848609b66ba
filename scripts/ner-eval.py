#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Evaluates the NER tier (with the patterns) on labelled synthetic English text.

Data: the PyPI package presidio-evaluator==0.3.2 (MIT; its fake identities
come from FakeNameGenerator.com, CC BY-SA 3.0 US) ships sentence templates
(`{{person}}`, `{{address}}`, `{{ssn}}`, ...) and 3,000 fake identities. This
script downloads the wheel with `pip download` (cached, sha256-checked),
fills the templates from the identities with a fixed seed and records the
character span and type of every filled value: a labelled data set, made
here, not copied into the repository.

Each sample is scanned by `ner_eval` (engine/examples/ner_eval.rs) with
models/ner-config.json. Scores are per group (person, address, id), entity
level, counted two ways:
  overlap  a gold span is found when a prediction of its group overlaps it;
           a prediction is correct when it overlaps a gold span of its group
  exact    the prediction's span equals a gold span (after trimming spaces
           and punctuation); adjacent address parts count as one span
Writes the tables to models/EVAL.md (--out) and prints them.

  cargo build --release -p shroud-engine --features ner --example ner_eval
  scripts/ner-eval.py --runner target/release/examples/ner_eval
"""
import argparse
import csv
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict

PACKAGE = "presidio-evaluator"
VERSION = "0.3.2"
WHEEL = "presidio_evaluator-0.3.2-py3-none-any.whl"
WHEEL_SHA256 = "57614fe604e52b78e6de25b767c59265886b93bbcdc6c7e43ab2657d3f6302be"
RAW = "presidio_evaluator/data_generator/raw_data/"

# Engine detector type -> evaluation group. NER types and the patterns'
# own types for the same things (an SSN is found by a checksum pattern).
GROUP_OF_KIND = {
    "person": "person",
    "address": "address",
    "government_id": "id",
    "passport_number": "id",
    "drivers_license": "id",
    "tax_id": "id",
    "us_ssn": "id",
    "bank_account": "id",
    "routing_number": "id",
}
GROUPS = ["person", "address", "id"]


def fetch(cache):
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, WHEEL)
    if not os.path.exists(path) or sha256(path) != WHEEL_SHA256:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--disable-pip-version-check", "--only-binary=:all:", "-d", cache,
             f"{PACKAGE}=={VERSION}"],
            check=True,
        )
    got = sha256(path)
    if got != WHEEL_SHA256:
        raise SystemExit(f"ner-eval: {WHEEL} has sha256 {got}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(path) as z:
        templates = z.read(RAW + "templates.txt").decode("utf-8", "replace")
        people = z.read(RAW + "FakeNameGenerator.com_3000.csv").decode("utf-8-sig")
    return templates.splitlines(), list(csv.DictReader(io.StringIO(people)))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def luhn_complete(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            n -= 9 if n > 9 else 0
        total += n
    return digits + str((10 - total % 10) % 10)


def filler(rng, row):
    """placeholder -> (value, group or None)."""
    street = row["StreetAddress"]
    number, _, street_name = street.partition(" ")
    if not number[:1].isdigit():
        number, street_name = str(rng.randint(1, 9999)), street
    first, last = row["GivenName"], row["Surname"]
    full = f"{first} {last}"
    ssn = row["NationalID"] if row["NationalID"].count("-") == 2 else \
        f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    address = f"{street}, {row['City']}, {row['State']} {row['ZipCode']}".replace(" ,", ",")
    return {
        "person": (full, "person"), "name": (full, "person"),
        "name_female": (full, "person"), "name_male": (full, "person"),
        "first_name": (first, "person"), "first_name_male": (first, "person"),
        "first_name_female": (first, "person"), "first_name_nonbinary": (first, "person"),
        "last_name": (last, "person"), "last_name_male": (last, "person"),
        "last_name_female": (last, "person"),
        "address": (address, "address"), "street_name": (street_name, "address"),
        "building_number": (number, "address"),
        "secondary_address": (rng.choice(["Apt. ", "Suite ", "Unit "]) + str(rng.randint(1, 999)), "address"),
        "city": (row["City"], "address"), "postcode": (row["ZipCode"], "address"),
        "zipcode": (row["ZipCode"], "address"), "state_abbr": (row["State"], "address"),
        "ssn": (ssn, "id"),
        "us_driver_license": (rng.choice("ABCDEFGHJKLMNPRSTWY") + str(rng.randint(10**7, 10**8 - 1)), "id"),
        # Filled but not scored: the model has no label for these, or the
        # patterns own them.
        "organization": (row["Company"], None), "country": (row["CountryFull"], None),
        "nationality": (row["CountryFull"], None), "nation_woman": (row["CountryFull"], None),
        "nation_plural": (row["CountryFull"], None), "job": (row["Occupation"], None),
        "email": (row["EmailAddress"], None), "phone_number": (row["TelephoneNumber"], None),
        "credit_card_number": (luhn_complete("4" + "".join(str(rng.randint(0, 9)) for _ in range(14))), None),
        "iban": ("GB82 WEST 1234 5698 7654 32", None), "url": (f"https://{row['Domain']}/", None),
        "ip_address": (f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}", None),
        "age": (row["Age"], None), "year": (str(rng.randint(1960, 2024)), None),
        "date_time": (row["Birthday"], None), "date_of_birth": (row["Birthday"], None),
        "day_of_week": (rng.choice(["Monday", "Tuesday", "Friday"]), None),
        "prefix": (row["Title"], None), "prefix_male": ("Mr.", None), "prefix_female": ("Ms.", None),
    }


def fill(template, values):
    """Returns (text, [(start, end, group)]) in char offsets, or None."""
    text, spans, i = "", [], 0
    template = template.replace("\\n", "\n").replace("\\,", ",")
    while True:
        j = template.find("{{", i)
        if j < 0:
            return text + template[i:], spans
        k = template.find("}}", j)
        name = template[j + 2:k]
        if k < 0 or name not in values:
            return None
        text += template[i:j]
        value, group = values[name]
        if group:
            spans.append((len(text), len(text) + len(value), group))
        text += value
        i = k + 2


def generate(templates, rows, n, seed):
    rng = random.Random(seed)
    usable = [t for t in templates if "{{" in t and fill(t, filler(rng, rows[0])) is not None]
    samples = []
    for _ in range(n):
        t = rng.choice(usable)
        text, spans = fill(t, filler(rng, rng.choice(rows)))
        samples.append({"text": text, "gold": spans})
    return samples, len(usable)


def strip_span(text, start, end):
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return start, end


def merge_gold(text, spans):
    """Adjacent gold spans of one group (only separators between) -> one."""
    out = []
    for s, e, g in sorted(spans):
        if out and out[-1][2] == g and all(not c.isalnum() for c in text[out[-1][1]:s]) \
                and "\n\n" not in text[out[-1][1]:s]:
            out[-1] = (out[-1][0], e, g)
        else:
            out.append((s, e, g))
    return out


def score(samples, predictions):
    overlap = {g: Counter() for g in GROUPS}
    exact = {g: Counter() for g in GROUPS}
    fp_kinds = defaultdict(Counter)
    for sample, pred in zip(samples, predictions):
        text = sample["text"]
        gold = [(s, e, g) for s, e, g in sample["gold"]]
        pred = [(s, e, GROUP_OF_KIND[k]) for s, e, k in pred if k in GROUP_OF_KIND]
        for g in GROUPS:
            gs = [(s, e) for s, e, gg in gold if gg == g]
            ps = [(s, e) for s, e, pg in pred if pg == g]
            overlaps = lambda a, b: a[0] < b[1] and b[0] < a[1]
            overlap[g]["gold"] += len(gs)
            overlap[g]["found"] += sum(any(overlaps(x, p) for p in ps) for x in gs)
            overlap[g]["pred"] += len(ps)
            correct = [p for p in ps if any(overlaps(p, x) for x in gs)]
            overlap[g]["correct"] += len(correct)
            for p in ps:
                if p not in correct:
                    fp_kinds[g][text[p[0]:p[1]][:40]] += 1
            gm = {strip_span(text, s, e) for s, e, gg in merge_gold(text, gold) if gg == g}
            pm = {strip_span(text, s, e) for s, e in ps}
            exact[g]["gold"] += len(gm)
            exact[g]["pred"] += len(pm)
            exact[g]["hit"] += len(gm & pm)
    return overlap, exact, fp_kinds


def prf(tp_p, pred, tp_r, gold):
    p = tp_p / pred if pred else 0.0
    r = tp_r / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def report(samples, n_templates, overlap, exact, fp_kinds, seed):
    lines = [
        "| type | gold | predicted | precision | recall | F1 | exact P | exact R | exact F1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for g in GROUPS:
        o, x = overlap[g], exact[g]
        p, r, f = prf(o["correct"], o["pred"], o["found"], o["gold"])
        xp, xr, xf = prf(x["hit"], x["pred"], x["hit"], x["gold"])
        lines.append(f"| {g} | {o['gold']} | {o['pred']} | {p:.2f} | {r:.2f} | {f:.2f} "
                     f"| {xp:.2f} | {xr:.2f} | {xf:.2f} |")
    lines.append("")
    lines.append(f"{len(samples)} samples from {n_templates} templates, seed {seed}.")
    for g in GROUPS:
        common = ", ".join(f"`{v}`" for v, _ in fp_kinds[g].most_common(5))
        if common:
            lines.append(f"Frequent false {g} spans: {common}.")
    return "\n".join(lines)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", default=os.path.join(root, "target/release/examples/ner_eval"))
    ap.add_argument("--models", default=os.path.join(root, "models"))
    ap.add_argument("--config", default=os.path.join(root, "models/ner-config.json"))
    ap.add_argument("--samples", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cache", default=os.environ.get(
        "SHROUD_EVAL_CACHE", os.path.expanduser("~/.cache/shroud/eval")))
    ap.add_argument("--out", help="write the table into this markdown file between markers")
    args = ap.parse_args()

    templates, rows = fetch(args.cache)
    samples, n_templates = generate(templates, rows, args.samples, args.seed)
    feed = "".join(json.dumps({"text": s["text"]}) + "\n" for s in samples)
    run = subprocess.run([args.runner, args.models, args.config], input=feed,
                         capture_output=True, text=True, check=True)
    predictions = [json.loads(line) for line in run.stdout.splitlines()]
    if len(predictions) != len(samples):
        raise SystemExit(f"ner-eval: {len(predictions)} answers for {len(samples)} samples")
    table = report(samples, n_templates, *score(samples, predictions), args.seed)
    print(table)
    if args.out:
        begin, end = "<!-- ner-eval:begin -->", "<!-- ner-eval:end -->"
        doc = open(args.out).read()
        head, _, rest = doc.partition(begin)
        _, _, tail = rest.partition(end)
        with open(args.out, "w") as f:
            f.write(f"{head}{begin}\n{table}\n{end}{tail}")


if __name__ == "__main__":
    main()
