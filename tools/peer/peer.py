"""THE PEER, not Kith: runs peer.sql and peer-rfm.sql in DuckDB over a folder of channel
exports, joining identifier values into connected components in between, and prints one JSON
line: seconds, events, profiles, segment counts and, with --truth, the pairwise identity score
of its components against the generator's ground truth (scored after the clock stops).

Usage: python peer.py EXPORTS [--truth DIR] [--shared 8] [--threads N]
"""

import argparse
import json
import os
import sys
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))


def sql(name, exports, shared):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read().replace("{exports}", exports).replace("{shared}", str(shared))


def components(con):
    """Label propagation with pointer jumping until no label changes; returns the rounds."""
    rounds = 0
    while True:
        rounds += 1
        con.execute("""
            CREATE OR REPLACE TABLE step AS
            SELECT l.node, least(l.comp, coalesce(m.c, l.comp)) AS comp
            FROM label l LEFT JOIN (
                SELECT e.a AS node, min(o.comp) AS c FROM edges e JOIN label o ON o.node = e.b GROUP BY e.a
            ) m USING (node);
            CREATE OR REPLACE TABLE step AS
            SELECT s.node, least(s.comp, j.comp) AS comp FROM step s JOIN step j ON j.node = s.comp;
        """)
        changed = con.execute(
            "SELECT count(*) FROM step JOIN label USING (node) WHERE step.comp <> label.comp").fetchone()[0]
        con.execute("DROP TABLE label; ALTER TABLE step RENAME TO label;")
        if changed == 0:
            return rounds


def pairwise(predicted, truth_file):
    """The same definition as Kith's PairwiseScore: pairs of values the truth knows."""
    truth = {}
    with open(truth_file, encoding="utf-8") as f:
        for i, line in enumerate(f):
            for kind, values in json.loads(line)["identifiers"].items():
                for v in values:
                    truth[(kind, v)] = i
    pred_size, truth_size, overlap = {}, {}, {}
    for value, comp in predicted:
        t = truth.get(value)
        if t is None:
            continue
        pred_size[comp] = pred_size.get(comp, 0) + 1
        truth_size[t] = truth_size.get(t, 0) + 1
        overlap[(comp, t)] = overlap.get((comp, t), 0) + 1
    pairs = lambda n: n * (n - 1) // 2
    tp = sum(pairs(n) for n in overlap.values())
    pp = sum(pairs(n) for n in pred_size.values())
    tpairs = sum(pairs(n) for n in truth_size.values())
    people = {}
    for comp, t in overlap:
        people.setdefault(comp, set()).add(t)
    return {
        "precision": tp / pp if pp else 1.0,
        "recall": tp / tpairs if tpairs else 1.0,
        "true_positives": tp, "predicted_pairs": pp, "truth_pairs": tpairs,
        "mixed_profiles": sum(1 for s in people.values() if len(s) > 1),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exports")
    parser.add_argument("--truth")
    parser.add_argument("--shared", type=int, default=8)
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    start = time.monotonic()
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    exports = os.path.abspath(args.exports)
    con.execute(sql("peer.sql", exports, args.shared))
    rounds = components(con)
    con.execute(sql("peer-rfm.sql", exports, args.shared))
    events = con.execute("SELECT count(*) FROM events").fetchone()[0]
    profiles = con.execute("SELECT count(DISTINCT comp) FROM label").fetchone()[0]
    segments = dict(con.execute("SELECT segment, count(*) FROM segments GROUP BY segment").fetchall())
    seconds = time.monotonic() - start
    report = {"seconds": seconds, "events": events, "profiles": profiles, "rounds": rounds, "segments": segments}
    if args.truth:
        rows = con.execute("SELECT n.kind, n.value, l.comp FROM nodes n JOIN label l USING (node)").fetchall()
        predicted = [((k, v), c) for k, v, c in rows]
        report["identity"] = pairwise(predicted, os.path.join(args.truth, "persons.ndjson"))
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    sys.exit(main())
