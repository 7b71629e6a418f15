"""`netra stats FILE...`: what a labelled data set holds, and what looks wrong with it.

In the spirit of spaCy's `debug data`: counts of documents, words, spans, article types and
relations; span lengths in words per label; labels with too few examples; duplicate and
near-duplicate texts (within and across files, so a train/test overlap shows up).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from typing import Any

from netra.docs import Doc
from netra.schema import Schema, load_schema
from netra.validate import validate_file
from netra.words import tokenize

MIN_EXAMPLES = 5
NEAR_DUPLICATE = 0.8  # Jaccard similarity of word shingles
SHINGLE_WORDS = 5


def span_words(starts: Sequence[int], ends: Sequence[int], start: int, end: int) -> int:
    """How many words a character span [start, end) touches, given the words' sorted starts and ends."""
    return max(0, bisect_left(starts, end) - bisect_right(ends, start))


def _shingles(text: str, n: int) -> frozenset[tuple[str, ...]]:
    words = [w.text.casefold() for w in tokenize(text)]
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def find_duplicates(
    named_texts: Sequence[tuple[str, str]], *, threshold: float = NEAR_DUPLICATE, n: int = SHINGLE_WORDS
) -> list[dict[str, Any]]:
    """Exact and near-duplicate texts.

    Exact: equal after case folding and whitespace normalisation (one group per text). Near: a
    Jaccard similarity of word `n`-gram shingles of at least `threshold` (one pair each, among
    texts that are not exact copies of each other).

    Example::

        find_duplicates([("a", "Pemilu 2024"), ("b", "pemilu  2024"), ("c", "Pilkada")])
        # [{'kind': 'exact', 'ids': ['a', 'b']}]
    """
    groups: dict[str, list[str]] = {}
    for name, text in named_texts:
        groups.setdefault(" ".join(text.casefold().split()), []).append(name)
    out: list[dict[str, Any]] = [{"kind": "exact", "ids": ids} for ids in groups.values() if len(ids) > 1]

    # Compare only texts that share a shingle: an inverted index keeps this far below all pairs.
    firsts = [(ids[0], _shingles(key, n)) for key, ids in groups.items()]
    index: dict[tuple[str, ...], list[int]] = {}
    for i, (_, sh) in enumerate(firsts):
        shared: Counter[int] = Counter()
        for s in sh:
            for j in index.get(s, ()):
                shared[j] += 1
            index.setdefault(s, []).append(i)
        for j, common in sorted(shared.items()):
            jaccard = common / (len(sh) + len(firsts[j][1]) - common)
            if jaccard >= threshold:
                out.append({"kind": "near", "ids": [firsts[j][0], firsts[i][0]], "jaccard": round(jaccard, 3)})
    return out


def compute_stats(docs: Sequence[Doc], *, schema: Schema, names: Sequence[str] | None = None) -> dict[str, Any]:
    """Statistics of a set of documents, as a JSON-ready dict.

    `names` (one per doc, default the ids) identify documents in the duplicate report.

    Example::

        stats = compute_stats(read_docs("seeds/gold.jsonl"), schema=load_schema())
        stats["span_labels"]["PER"]["spans"]
    """
    lengths: dict[str, list[int]] = {label: [] for label in schema.span_labels}
    annotated_docs: Counter[str] = Counter()
    types: Counter[str] = Counter()
    relations: Counter[str] = Counter()
    n_words = typed = 0
    for doc in docs:
        words = tokenize(doc.text)
        starts, ends = [w.start for w in words], [w.end for w in words]
        n_words += len(words)
        # [] (every source label mapped away) means annotated for nothing, unlike None (for all).
        annotated = doc.annotated_labels
        annotated_docs.update(schema.span_labels if annotated is None else annotated)
        for s in doc.spans:
            lengths.setdefault(s.label, []).append(span_words(starts, ends, s.start, s.end))
        if doc.types is not None:
            typed += 1
            types.update(doc.types)
        relations.update(r.label for r in doc.relations)
    span_labels = {
        label: {
            "spans": len(ls),
            "annotated_documents": annotated_docs[label],
            "words_min": min(ls) if ls else None,
            "words_median": statistics.median(ls) if ls else None,
            "words_max": max(ls) if ls else None,
        }
        for label, ls in lengths.items()
    }
    names = list(names) if names is not None else [d.id for d in docs]
    return {
        "documents": len(docs),
        "words": n_words,
        "spans": sum(v["spans"] for v in span_labels.values()),
        "span_labels": span_labels,
        "typed_documents": typed,
        "article_types": {t: types[t] for t in schema.article_types},
        "relations": {r: relations[r] for r in schema.relations},
        # A label no document was annotated for (an imported NER corpus without ROLE) is not rare.
        "rare_span_labels": [label for label, v in span_labels.items()
                             if v["annotated_documents"] and v["spans"] < MIN_EXAMPLES],
        "unannotated_span_labels": [label for label, v in span_labels.items() if not v["annotated_documents"]],
        "rare_article_types": [t for t in schema.article_types if typed and types[t] < MIN_EXAMPLES],
        "duplicates": find_duplicates([(name, d.text) for name, d in zip(names, docs, strict=True)]),
    }


def render_stats(stats: dict[str, Any], *, max_duplicates: int = 20) -> str:
    """A plain-text report of `compute_stats` output."""
    out = [f"documents  {stats['documents']:,} ({stats['typed_documents']:,} with article types)",
           f"words      {stats['words']:,}",
           f"spans      {stats['spans']:,}",
           "relations  " + ", ".join(f"{k} {v:,}" for k, v in stats["relations"].items()),
           "",
           f"{'span label':<12}{'spans':>8}{'docs':>8}   words min / median / max"]
    for label, v in stats["span_labels"].items():
        lengths = "-" if v["spans"] == 0 else f"{v['words_min']} / {v['words_median']:g} / {v['words_max']}"
        out.append(f"{label:<12}{v['spans']:>8,}{v['annotated_documents']:>8,}   {lengths}")
    if stats["unannotated_span_labels"]:
        out.append(f"not annotated in any document: {', '.join(stats['unannotated_span_labels'])}")
    out += ["", f"{'article type':<22}{'docs':>8}"]
    out += [f"{t:<22}{n:>8,}" for t, n in stats["article_types"].items()]
    warnings = [f"span label {label}: {stats['span_labels'][label]['spans']} span(s), fewer than {MIN_EXAMPLES}"
                for label in stats["rare_span_labels"]]
    warnings += [f"article type {t}: {stats['article_types'][t]} document(s), fewer than {MIN_EXAMPLES}"
                 for t in stats["rare_article_types"]]
    dups = stats["duplicates"]
    for d in dups[:max_duplicates]:
        how = "identical texts" if d["kind"] == "exact" else f"near-duplicate texts (Jaccard {d['jaccard']})"
        warnings.append(f"{how}: {', '.join(d['ids'])}")
    if len(dups) > max_duplicates:
        warnings.append(f"... and {len(dups) - max_duplicates} more duplicate group(s) (see --json)")
    out += ["", "warnings" if warnings else "no warnings"]
    out += [f"  ! {w}" for w in warnings]
    return "\n".join(out)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", help="netra JSONL files (statistics are over all of them)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    p.add_argument("--labels", help="label schema (default: data/labels.yaml)")


def run(args: argparse.Namespace) -> int:
    schema = load_schema(args.labels)
    docs: list[Doc] = []
    names: list[str] = []
    per_file: dict[str, int] = {}
    n_errors = 0
    for path in args.files:
        file_docs, problems = validate_file(path, schema=schema)
        for p in problems:
            if p.severity == "error":
                n_errors += 1
                print(p, file=sys.stderr)
        per_file[path] = len(file_docs)
        docs += file_docs
        # ids are unique within a file only
        names += [d.id if len(args.files) == 1 else f"{path}:{d.id}" for d in file_docs]
    stats = {"files": per_file, "input_errors": n_errors, **compute_stats(docs, schema=schema, names=names)}
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print("\n".join(f"{path}: {n:,} valid document(s)" for path, n in per_file.items()))
        if n_errors:
            print(f"{n_errors} error(s) in the input (listed on stderr; run netra validate); those records are left out")
        print(render_stats(stats))
    return 1 if n_errors else 0
