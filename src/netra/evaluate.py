"""Score predictions against gold: entities, character spans, article types and HOLDS relations.

`evaluate_docs` is the one metrics function every part of netra uses (CLI, cross-validation,
training, CI); it returns a flat dict with stable keys (evaluation/README.md explains each one).
`evaluate_files` adds provenance and writes metrics.json, report.md and report.html. Metrics work
on label strings and character spans, never on tensors.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from netra import __version__
from netra.bio import spans_to_bio
from netra.docs import Doc, Span, atomic_write_text
from netra.schema import Schema, load_schema
from netra.validate import InvalidData, read_docs
from netra.words import tokenize

HOLDS = "HOLDS"

# Every span of gold and pred gets one of these; a pair (gold, pred) shares its kind.
ERROR_KINDS = ("correct", "wrong_label", "wrong_boundary", "both_wrong", "missed", "spurious")

# (row name, metrics key): the headline numbers, in the order every table shows them.
HEADLINE = (
    ("entities P", "ents_p"),
    ("entities R", "ents_r"),
    ("entities F", "ents_f"),
    ("entities macro F", "ents_macro_f"),
    ("spans exact F", "spans_exact_f"),
    ("spans partial F", "spans_partial_f"),
    ("types micro F", "types_micro_f"),
    ("types macro F", "types_macro_f"),
    ("types subset acc", "types_subset_acc"),
    ("HOLDS F", "holds_f"),
)


class TextMismatch(ValueError):
    """A predicted document's text differs from the gold text with the same id."""


@dataclass(frozen=True)
class SpanMatch:
    """One gold span, one predicted span, or a pair of them, with the kind of (non-)error."""

    gold: Span | None
    pred: Span | None
    kind: str


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _prf(tp: float, n_pred: float, n_gold: float) -> tuple[float, float, float]:
    p, r = _div(tp, n_pred), _div(tp, n_gold)
    return p, r, _div(2 * p * r, p + r)


# ---------------------------------------------------------------------------------------------
# Pairing documents and spans


def pair_docs(gold: Sequence[Doc], pred: Sequence[Doc]) -> tuple[list[tuple[Doc, Doc | None]], list[str]]:
    """Match predictions to gold by id.

    Returns (gold doc, its prediction or None) in gold order, and the ids of predictions that have
    no gold document. Raises TextMismatch when a prediction's text differs from its gold text.
    """
    by_id = {d.id: d for d in pred}
    gold_ids = {d.id for d in gold}
    pairs: list[tuple[Doc, Doc | None]] = []
    for g in gold:
        p = by_id.get(g.id)
        if p is not None and p.text != g.text:
            at = next((i for i, (a, b) in enumerate(zip(g.text, p.text, strict=False)) if a != b), min(len(g.text), len(p.text)))
            raise TextMismatch(
                f"id={g.id}: the predicted text differs from the gold text at character {at} "
                f"(gold has {len(g.text)} characters, prediction {len(p.text)}); "
                "run the predictor on the gold texts unchanged"
            )
        pairs.append((g, p))
    return pairs, [d.id for d in pred if d.id not in gold_ids]


def judged_spans(gold: Doc, pred: Doc | None) -> list[Span]:
    """The predicted spans that can be judged against `gold`.

    A gold document annotated for some labels only (meta.annotated_labels, e.g. an imported
    PER/LOC/ORG corpus) says nothing about the others, so predictions of those are left out
    rather than counted as spurious.
    """
    if pred is None:
        return []
    allowed = gold.annotated_labels
    return [s for s in pred.spans if allowed is None or s.label in allowed]


def _overlap(a: Span, b: Span) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _overlapping_pairs(gold: Sequence[Span], pred: Sequence[Span]) -> list[tuple[int, int]]:
    """All (gold index, pred index) whose spans overlap, without comparing every pair."""
    order = sorted(range(len(pred)), key=lambda i: pred[i].start)
    starts = [pred[i].start for i in order]
    longest = max((s.end - s.start for s in pred), default=0)
    pairs = []
    for gi, g in enumerate(gold):
        k = bisect_left(starts, g.end) - 1  # last prediction starting before g ends
        # A prediction starting `longest` or more before g cannot reach into g.
        while k >= 0 and starts[k] > g.start - longest:
            if pred[order[k]].end > g.start:
                pairs.append((gi, order[k]))
            k -= 1
    return pairs


def align_spans(gold: Sequence[Span], pred: Sequence[Span]) -> list[SpanMatch]:
    """Pair gold and predicted spans one to one and name each outcome (ERROR_KINDS).

    Pairs are formed in order of preference: same boundaries and label (correct), same
    boundaries (wrong_label), overlap with the same label (wrong_boundary), any overlap
    (both_wrong); within each step the larger overlap wins. Unpaired gold spans are missed,
    unpaired predictions spurious. Returns the matches in text order.

    Example::

        align_spans([Span(0, 5, "PER")], [Span(0, 3, "PER"), Span(9, 12, "LOC")])
        # [SpanMatch(gold=Span(0, 5, 'PER'), pred=Span(0, 3, 'PER'), kind='wrong_boundary'),
        #  SpanMatch(gold=None, pred=Span(9, 12, 'LOC'), kind='spurious')]
    """
    candidates = _overlapping_pairs(gold, pred)
    free_gold, free_pred = set(range(len(gold))), set(range(len(pred)))
    matches: list[SpanMatch] = []
    steps = (
        ("correct", lambda g, p: (g.start, g.end, g.label) == (p.start, p.end, p.label)),
        ("wrong_label", lambda g, p: (g.start, g.end) == (p.start, p.end)),
        ("wrong_boundary", lambda g, p: g.label == p.label),
        ("both_wrong", lambda g, p: True),
    )
    for kind, accept in steps:
        ranked = sorted(
            (-_overlap(gold[gi], pred[pi]), gold[gi].start, pred[pi].start, gi, pi)
            for gi, pi in candidates
            if gi in free_gold and pi in free_pred and accept(gold[gi], pred[pi])
        )
        for *_, gi, pi in ranked:
            if gi in free_gold and pi in free_pred:
                free_gold.discard(gi)
                free_pred.discard(pi)
                matches.append(SpanMatch(gold[gi], pred[pi], kind))
    matches += [SpanMatch(gold[i], None, "missed") for i in free_gold]
    matches += [SpanMatch(None, pred[i], "spurious") for i in free_pred]

    def position(m: SpanMatch) -> tuple[int, int]:
        spans = [s for s in (m.gold, m.pred) if s is not None]
        return min(s.start for s in spans), min(s.end for s in spans)

    return sorted(matches, key=position)


def doc_matches(gold: Doc, pred: Doc | None) -> list[SpanMatch]:
    """`align_spans` for one document pair; a missing prediction predicts nothing."""
    return align_spans(gold.spans, judged_spans(gold, pred))


def holds_pairs(doc: Doc | None, *, judged: Sequence[Span] | None = None) -> set[tuple[Span, Span]]:
    """The (head span, tail span) of each HOLDS relation in `doc`.

    With `judged`, relations touching a span outside it are left out (see `judged_spans`).
    """
    if doc is None:
        return set()
    keep = None if judged is None else set(judged)
    out = set()
    for r in doc.relations:
        if r.label != HOLDS:
            continue
        head, tail = doc.spans[r.head], doc.spans[r.tail]
        if keep is None or (head in keep and tail in keep):
            out.add((head, tail))
    return out


# ---------------------------------------------------------------------------------------------
# The metrics


def entity_scores(gold_tags: list[list[str]], pred_tags: list[list[str]]) -> dict[str, Any]:
    """seqeval in strict IOB2 mode: micro P/R/F, macro F over the types seen, and per type."""
    if not any(t != "O" for seq in (*gold_tags, *pred_tags) for t in seq):
        # seqeval averages over an empty set of types here (a numpy warning); nothing to find
        # and nothing found scores 0 like every other zero division.
        return {"ents_p": 0.0, "ents_r": 0.0, "ents_f": 0.0, "ents_macro_f": 0.0, "ents_per_type": {}}
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    rep = classification_report(
        gold_tags, pred_tags, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    micro, macro = rep.pop("micro avg"), rep.pop("macro avg")
    rep.pop("weighted avg", None)
    return {
        "ents_p": float(micro["precision"]),
        "ents_r": float(micro["recall"]),
        "ents_f": float(micro["f1-score"]),
        "ents_macro_f": float(macro["f1-score"]),
        "ents_per_type": {
            label: {
                "p": float(v["precision"]),
                "r": float(v["recall"]),
                "f": float(v["f1-score"]),
                "support": int(v["support"]),
            }
            for label, v in rep.items()
        },
    }


def span_scores(matches: Sequence[SpanMatch]) -> dict[str, Any]:
    """Character-span P/R/F, exact and SemEval-2013 partial (with the same label), and counts.

    exact: P = COR / ACT, R = COR / POS; partial: P = (COR + 0.5 PAR) / ACT, R = (COR + 0.5 PAR) / POS,
    where COR = correct, PAR = wrong_boundary, ACT = predicted spans, POS = gold spans.
    """
    counts = dict.fromkeys(ERROR_KINDS, 0)
    for m in matches:
        counts[m.kind] += 1
    n_gold = sum(m.gold is not None for m in matches)
    n_pred = sum(m.pred is not None for m in matches)
    cor, par = counts["correct"], counts["wrong_boundary"]
    ep, er, ef = _prf(cor, n_pred, n_gold)
    pp, pr, pf = _prf(cor + 0.5 * par, n_pred, n_gold)
    return {
        "spans_exact_p": ep,
        "spans_exact_r": er,
        "spans_exact_f": ef,
        "spans_partial_p": pp,
        "spans_partial_r": pr,
        "spans_partial_f": pf,
        "span_counts": {"gold": n_gold, "pred": n_pred, **counts},
    }


def type_scores(
    gold_types: Sequence[Sequence[str]], pred_types: Sequence[Sequence[str]], *, types: Sequence[str]
) -> dict[str, Any]:
    """Multi-label article-type metrics (scikit-learn) over documents that have gold types.

    Averages and per-label rows cover the types present in gold or predictions, as for entities;
    `types_confusion` counts TP/FP/FN/TN for every type of the schema.
    """
    from sklearn.metrics import accuracy_score, multilabel_confusion_matrix, precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    out: dict[str, Any] = {
        "types_micro_f": 0.0,
        "types_macro_f": 0.0,
        "types_samples_f": 0.0,
        "types_subset_acc": 0.0,
        "types_per_label": {},
        "types_confusion": {t: {"tp": 0, "fp": 0, "fn": 0, "tn": 0} for t in types},
        "n_typed_docs": len(gold_types),
    }
    if not gold_types:
        return out
    mlb = MultiLabelBinarizer(classes=list(types))
    y_true, y_pred = mlb.fit_transform(gold_types), mlb.transform(pred_types)
    present = [i for i in range(len(types)) if y_true[:, i].any() or y_pred[:, i].any()]

    def f1(average: str) -> float:
        return float(precision_recall_fscore_support(
            y_true, y_pred, labels=present, average=average, zero_division=0)[2])

    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=present, average=None, zero_division=0
    )
    out.update(
        types_micro_f=f1("micro"),
        types_macro_f=f1("macro"),
        types_samples_f=f1("samples"),
        types_subset_acc=float(accuracy_score(y_true, y_pred)),
        types_per_label={
            types[i]: {"p": float(p[k]), "r": float(r[k]), "f": float(f[k]), "support": int(support[k])}
            for k, i in enumerate(present)
        },
    )
    for t, ((tn, fp), (fn, tp)) in zip(types, multilabel_confusion_matrix(y_true, y_pred), strict=True):
        out["types_confusion"][t] = {"tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn)}
    return out


def evaluate_docs(gold: list[Doc], pred: list[Doc], *, schema: Schema | None = None) -> dict[str, Any]:
    """Score predicted documents against gold documents, matched by id.

    A gold document without a prediction counts as predicting nothing and is listed in
    `missing_ids`; predictions without gold are listed in `extra_ids` and ignored. Only
    documents whose gold `types` is not None count for the type metrics. Every zero division
    gives 0. Raises TextMismatch (a ValueError) naming the id when texts differ.

    Example::

        m = evaluate_docs(read_docs("seeds/gold.jsonl"), read_docs("pred.jsonl"))
        m["ents_f"], m["spans_partial_f"], m["types_macro_f"], m["holds_f"]
    """
    schema = schema or load_schema()
    pairs, extra_ids = pair_docs(gold, pred)
    gold_tags, pred_tags, matches = [], [], []
    gold_types, pred_types = [], []
    holds_tp = holds_gold = holds_pred = 0
    for g, p in pairs:
        judged = judged_spans(g, p)
        words = tokenize(g.text)
        gold_tags.append(spans_to_bio(words, g.spans))
        pred_tags.append(spans_to_bio(words, judged))
        matches += align_spans(g.spans, judged)
        if g.types is not None:
            gold_types.append(g.types)
            pred_types.append((p.types or []) if p is not None else [])
        gh, ph = holds_pairs(g), holds_pairs(p, judged=judged)
        holds_tp += len(gh & ph)
        holds_gold += len(gh)
        holds_pred += len(ph)
    hp, hr, hf = _prf(holds_tp, holds_pred, holds_gold)
    # Structured records (netra.records) built from gold spans vs from predicted spans, for the
    # articles (documents with article types); imported corpus sentences have no records.
    from netra.records import build_record, records_field_accuracy  # records imports the report module

    articles = [(g, p) for g, p in pairs if g.types is not None]
    records = records_field_accuracy(
        [build_record(g) for g, _ in articles], [build_record(p) for _, p in articles if p is not None]
    )
    ents = entity_scores(gold_tags, pred_tags)
    per_type = ents["ents_per_type"]  # seqeval sorts types alphabetically; show schema order
    ents["ents_per_type"] = {k: per_type[k] for k in _label_order(set(per_type), schema)}
    return {
        **ents,
        **span_scores(matches),
        **type_scores(gold_types, pred_types, types=schema.article_types),
        "holds_p": hp,
        "holds_r": hr,
        "holds_f": hf,
        "holds_counts": {"gold": holds_gold, "pred": holds_pred, "correct": holds_tp},
        **records,
        "n_docs": len(gold),
        "missing_ids": [g.id for g, p in pairs if p is None],
        "extra_ids": extra_ids,
    }


# ---------------------------------------------------------------------------------------------
# Files and tables


def _sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def evaluate_files(
    gold_path: str | Path, pred_path: str | Path, out_dir: str | Path, *, title: str | None = None
) -> dict[str, Any]:
    """Evaluate a prediction file against a gold file; write metrics.json, report.md, report.html.

    Both files are read with the validator: InvalidData (every problem, one per line) stops the
    evaluation. Returns the metrics, with a `config` block saying what was scored.

    Example::

        m = evaluate_files("seeds/gold.jsonl", "/tmp/b.jsonl", "evaluation/reports/ci")
        print(headline_table(m))
    """
    # report.py uses this module's pairing and tables, so it is imported here, not at the top.
    from netra.report import render_html, render_markdown

    schema = load_schema()
    gold, pred = read_docs(gold_path, schema=schema), read_docs(pred_path, schema=schema)
    metrics = evaluate_docs(gold, pred, schema=schema)
    metrics["config"] = {
        "gold": str(gold_path),
        "gold_sha256": _sha256(gold_path),
        "pred": str(pred_path),
        "pred_sha256": _sha256(pred_path),
        "netra_version": __version__,
        "schema": schema.path,
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    title = title or f"netra evaluation: {Path(pred_path).name} against {Path(gold_path).name}"
    out = Path(out_dir)
    atomic_write_text(out / "metrics.json", json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(out / "report.md", render_markdown(metrics, title=title))
    atomic_write_text(out / "report.html", render_html(metrics, gold, pred, title=title, schema=schema))
    return metrics


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) else "-"


def headline_rows(named_metrics: dict[str, dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the headline numbers, one column per system."""
    header = ["metric", *named_metrics]
    rows = [[name, *(_fmt(m.get(key)) for m in named_metrics.values())] for name, key in HEADLINE]
    return header, rows


def _label_order(labels: set[str], schema: Schema) -> list[str]:
    known = list(schema.span_labels + schema.article_types)
    return [x for x in known if x in labels] + sorted(labels - set(known))


def per_type_rows(
    named_metrics: dict[str, dict[str, Any]], *, key: str = "ents_per_type", schema: Schema | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of per-type F (key: ents_per_type or types_per_label), one column per system.

    The support column comes from the first system that has the type.
    """
    tables = [m.get(key) or {} for m in named_metrics.values()]
    labels = _label_order({label for t in tables for label in t}, schema or load_schema())
    header = ["type", "support", *(f"{name} F" for name in named_metrics)]
    rows = []
    for label in labels:
        support = next((str(t[label]["support"]) for t in tables if label in t), "-")
        rows.append([label, support, *(_fmt(t[label]["f"]) if label in t else "-" for t in tables)])
    return header, rows


def fixed_width(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def headline_table(metrics: dict[str, Any]) -> str:
    """The headline numbers of one evaluation as a fixed-width table.

    Example::

        print(headline_table(evaluate_docs(gold, pred)))
    """
    return comparison_table({"score": metrics})


def comparison_table(named_metrics: dict[str, dict[str, Any]]) -> str:
    """Several systems side by side, e.g. {"baseline": m1, "model": m2}, as a fixed-width table."""
    return fixed_width(*headline_rows(named_metrics))


def per_type_table(named_metrics: dict[str, dict[str, Any]], *, key: str = "ents_per_type") -> str:
    """Per-type F of several systems side by side, as a fixed-width table."""
    return fixed_width(*per_type_rows(named_metrics, key=key))


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gold", required=True, help="gold netra JSONL")
    p.add_argument("--pred", required=True, help="predicted netra JSONL (same ids and texts)")
    p.add_argument("--out", required=True, help="folder for metrics.json, report.md and report.html")
    p.add_argument("--title", help="title of the reports")


def run(args: argparse.Namespace) -> int:
    try:
        metrics = evaluate_files(args.gold, args.pred, args.out, title=args.title)
    except InvalidData as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"FAILED: {len(exc.problems)} error(s); fix them (netra validate FILE) and run again", file=sys.stderr)
        return 1
    except TextMismatch as exc:
        print(f"{args.pred}: {exc}", file=sys.stderr)
        return 1
    print(headline_table(metrics))
    print(f"\n{metrics['n_docs']} gold document(s), {metrics['n_typed_docs']} with article types")
    if metrics["missing_ids"]:
        print(f"warning: {len(metrics['missing_ids'])} gold document(s) missing from the predictions "
              f"(scored as predicting nothing): {', '.join(metrics['missing_ids'])}", file=sys.stderr)
    if metrics["extra_ids"]:
        print(f"warning: {len(metrics['extra_ids'])} predicted document(s) not in gold (ignored): "
              f"{', '.join(metrics['extra_ids'])}", file=sys.stderr)
    out = Path(args.out)
    print(f"wrote {out / 'metrics.json'}, {out / 'report.md'}, {out / 'report.html'}")
    return 0
