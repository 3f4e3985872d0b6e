#!/usr/bin/env python3
"""Extra hard negatives drawn at random from a records file: a surname the
registry has with a given name no record of that surname has. Each is run as
a public search; any hit is a false hope. Reports how many showed anything.

    findkin --data-dir D import eval/dev2/records.csv
    python3 bench/hard_negatives.py --data-dir D --records eval/dev2/records.csv [--count 300] [--seed 5]
"""
import argparse
import collections
import csv
import json
import os
import random
import subprocess


def default_findkin():
    if os.environ.get("FINDKIN_BIN"):
        return os.environ["FINDKIN_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.dirname(__file__), "..", "target")
    return os.path.join(target, "release", "findkin")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--findkin", default=default_findkin())
    a = ap.parse_args()
    rng = random.Random(a.seed)
    norm = lambda x: x.lower().replace("ё", "е")
    recs = list(csv.DictReader(open(a.records, encoding="utf-8")))
    by_surname = collections.defaultdict(set)
    for r in recs:
        by_surname[norm(r["surname"])].add(norm(r["given_name"]))
    men = [r for r in recs if r["sex"].lower() == "m"]
    asked = shown = 0
    for _ in range(a.count):
        surname, given = rng.choice(men)["surname"], rng.choice(men)["given_name"]
        if norm(given) in by_surname[norm(surname)]:
            continue
        asked += 1
        out = subprocess.run(
            [a.findkin, "--data-dir", a.data_dir, "search", f"{surname} {given}", "--public", "--json"],
            capture_output=True, text=True, check=True,
        ).stdout
        hits = json.loads(out or "[]")
        if hits:
            shown += 1
            print(f"shown: {surname} {given} -> {hits[0]['surname']} {hits[0]['given_name']}")
    print(f"{asked} absent people asked, {shown} shown something ({shown / max(asked, 1):.3f})")


if __name__ == "__main__":
    main()
