"""Render evaluation metrics as report.md and a self-contained report.html.

The numbers come from `netra.evaluate`; the HTML also re-pairs the documents with the same
functions (`pair_docs`, `doc_matches`, `holds_pairs`) so what an analyst sees is what was scored.
The HTML has inline CSS only: it opens from disk with no network.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Any

from netra.docs import Doc, Span
from netra.evaluate import (
    ERROR_KINDS,
    SpanMatch,
    doc_matches,
    headline_rows,
    holds_pairs,
    judged_spans,
    pair_docs,
    per_type_rows,
)
from netra.schema import Schema, load_schema

KIND_TEXT = {
    "correct": "correct",
    "wrong_label": "wrong label",
    "wrong_boundary": "wrong boundary",
    "both_wrong": "wrong label and boundary",
    "missed": "missed",
    "spurious": "spurious",
}


def _f(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) else "-"


# ---------------------------------------------------------------------------------------------
# Markdown


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; `|` inside cells is escaped."""

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def _prf_rows(per_type: dict[str, dict[str, Any]]) -> list[list[str]]:
    return [[k, _f(v["p"]), _f(v["r"]), _f(v["f"]), str(v["support"])] for k, v in per_type.items()]


def _ids(ids: Sequence[str]) -> str:
    return ", ".join(f"`{i}`" for i in ids)


def render_markdown(metrics: dict[str, Any], *, title: str) -> str:
    """The numbers of one evaluation as Markdown tables (report.md).

    Example::

        atomic_write_text("report.md", render_markdown(evaluate_docs(gold, pred), title="baseline"))
    """
    m = metrics
    sc, hc = m["span_counts"], m["holds_counts"]
    out = [f"# {title}", ""]
    out.append(f"{m['n_docs']} gold document(s), {m['n_typed_docs']} with article types.")
    if m["missing_ids"]:
        out.append(f"Missing from the predictions (scored as predicting nothing): {_ids(m['missing_ids'])}.")
    if m["extra_ids"]:
        out.append(f"Predicted but not in gold (ignored): {_ids(m['extra_ids'])}.")
    out += ["", "## Headline", "", markdown_table(*headline_rows({"score": m}))]
    out += ["", "## Entities per type", "", "seqeval, strict IOB2, over netra's fixed word tokenisation.", ""]
    out.append(markdown_table(["type", "P", "R", "F", "support"], _prf_rows(m["ents_per_type"])))
    out += ["", "## Character spans", ""]
    out.append(markdown_table(["match", "P", "R", "F"], [
        ["exact (start, end, label)", _f(m["spans_exact_p"]), _f(m["spans_exact_r"]), _f(m["spans_exact_f"])],
        ["partial (SemEval-2013, same label)", _f(m["spans_partial_p"]), _f(m["spans_partial_r"]),
         _f(m["spans_partial_f"])],
    ]))
    out += [""]
    out.append(markdown_table(["gold", "predicted", *(KIND_TEXT[k] for k in ERROR_KINDS)],
                              [[sc["gold"], sc["pred"], *(sc[k] for k in ERROR_KINDS)]]))
    out += ["", "## Article types", ""]
    out.append(markdown_table(["micro F", "macro F", "samples F", "subset accuracy"], [[
        _f(m["types_micro_f"]), _f(m["types_macro_f"]), _f(m["types_samples_f"]), _f(m["types_subset_acc"])]]))
    out += ["", markdown_table(["type", "P", "R", "F", "support"], _prf_rows(m["types_per_label"]))]
    out += ["", "Confusion per type (documents):", ""]
    out.append(markdown_table(["type", "TP", "FP", "FN", "TN"], [
        [t, c["tp"], c["fp"], c["fn"], c["tn"]] for t, c in m["types_confusion"].items()]))
    out += ["", "## HOLDS relations", ""]
    out.append(markdown_table(["P", "R", "F", "gold", "predicted", "correct"], [
        [_f(m["holds_p"]), _f(m["holds_r"]), _f(m["holds_f"]), hc["gold"], hc["pred"], hc["correct"]]]))
    if "config" in m:
        out += ["", "## What was scored", ""]
        out += [f"- {k}: `{v}`" for k, v in m["config"].items()]
    return "\n".join(out) + "\n"


def render_comparison_markdown(named_metrics: dict[str, dict[str, Any]], *, title: str) -> str:
    """Several systems side by side, e.g. {"baseline": m1, "model": m2}, as Markdown.

    Example::

        render_comparison_markdown({"baseline": base, "model": model}, title="leave one article out")
    """
    out = [f"# {title}", "", "## Headline", "", markdown_table(*headline_rows(named_metrics))]
    out += ["", "## Entity F per type", "", markdown_table(*per_type_rows(named_metrics))]
    out += ["", "## Article-type F per type", "",
            markdown_table(*per_type_rows(named_metrics, key="types_per_label"))]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 24px; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; }
.bad { color: #c00; font-weight: 600; }
.summary { display: flex; flex-wrap: wrap; gap: 8px 32px; align-items: flex-start; }
.summary h2 { margin-top: 8px; }
.legend .chip, .legend mark { display: inline-block; padding: 0 6px; margin: 2px 6px 2px 0; }
.legend mark::after { content: none; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.cols h4 { margin: 4px 0; }
.text { white-space: pre-wrap; border: 1px solid #ddd; padding: 8px; line-height: 1.9; }
mark { color: inherit; padding: 1px 0; border-radius: 2px; }
mark::after { content: attr(data-label); font-size: 9px; font-weight: 600; vertical-align: super;
  margin-left: 1px; color: #333; }
mark.missed { outline: 2px dashed #d00000; }
mark.spurious { outline: 2px solid #d00000; }
mark.wrong_label, mark.wrong_boundary, mark.both_wrong { outline: 2px solid #ff8c00; }
.doc { margin-top: 28px; }
ul.holds { margin: 4px 0; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _esc_rows(rows: Sequence[Sequence[Any]]) -> list[list[str]]:
    return [[escape(str(c)) for c in row] for row in rows]


def highlight(text: str, marks: Sequence[tuple[Span, str, str]], *, colors: dict[str, str]) -> str:
    """HTML of `text` with each (span, css class, hover title) as a coloured <mark>.

    Spans are flat in netra; one that starts inside the previous is left unmarked rather than
    nesting marks.
    """
    out, pos = [], 0
    for span, css, hover in sorted(marks, key=lambda m: (m[0].start, m[0].end)):
        if span.start < pos:
            continue
        color = colors.get(span.label, "#dddddd")
        out.append(escape(text[pos : span.start]))
        out.append(
            f'<mark class="{css}" style="background:{escape(color)}" data-label="{escape(span.label)}" '
            f'title="{escape(hover)}">{escape(text[span.start : span.end])}</mark>'
        )
        pos = span.end
    out.append(escape(text[pos:]))
    return "".join(out)


def _span_marks(matches: Sequence[SpanMatch], text: str) -> tuple[list, list]:
    """(gold marks, predicted marks) for `highlight`, with hover titles naming the error."""

    def show(s: Span) -> str:
        return f"{s.label} '{text[s.start:s.end]}'"

    gold, pred = [], []
    for m in matches:
        if m.gold is not None:
            other = f"; predicted {show(m.pred)}" if m.pred is not None else ""
            gold.append((m.gold, m.kind, f"gold {m.gold.label}: {KIND_TEXT[m.kind]}{other}"))
        if m.pred is not None:
            other = f"; gold {show(m.gold)}" if m.gold is not None else ""
            pred.append((m.pred, m.kind, f"predicted {m.pred.label}: {KIND_TEXT[m.kind]}{other}"))
    return gold, pred


def _holds_html(gold: Doc, pred: Doc | None) -> str:
    text = gold.text
    gh, ph = holds_pairs(gold), holds_pairs(pred, judged=judged_spans(gold, pred))
    if not gh and not ph:
        return ""

    def show(pair: tuple[Span, Span]) -> str:
        (h, t) = pair
        return escape(f"{text[h.start:h.end]} → {text[t.start:t.end]}")

    items = [f"<li>{show(x)}: {'found' if x in ph else '<span class=bad>missed</span>'}</li>" for x in sorted(gh)]
    items += [f"<li>{show(x)}: <span class=bad>spurious</span></li>" for x in sorted(ph - gh)]
    return f"<h4>HOLDS ({len(gh)} gold, {len(ph)} predicted)</h4><ul class=holds>{''.join(items)}</ul>"


def _types(types: Sequence[str] | None) -> str:
    return "-" if types is None else escape(", ".join(sorted(types)) or "(none)")


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def _summary_html(m: dict[str, Any]) -> str:
    """The metric tables, laid out side by side so the documents start near the top."""
    header, rows = headline_rows({"score": m})
    sc, hc = m["span_counts"], m["holds_counts"]
    prf = ["type", "P", "R", "F", "support"]
    sections = [
        _section("Headline", _table(header, _esc_rows(rows))),
        _section("Entities per type", "<p class=note>seqeval, strict IOB2</p>",
                 _table(prf, _esc_rows(_prf_rows(m["ents_per_type"])))),
        _section(
            "Character spans",
            _table(["match", "P", "R", "F"], [
                ["exact", _f(m["spans_exact_p"]), _f(m["spans_exact_r"]), _f(m["spans_exact_f"])],
                ["partial", _f(m["spans_partial_p"]), _f(m["spans_partial_r"]), _f(m["spans_partial_f"])],
            ]),
            _table(["span", "count"], [["gold", sc["gold"]], ["predicted", sc["pred"]],
                                       *([KIND_TEXT[k], sc[k]] for k in ERROR_KINDS)]),
        ),
        _section(
            "Article types",
            _table(["average", "F"], [["micro", _f(m["types_micro_f"])], ["macro", _f(m["types_macro_f"])],
                                      ["samples", _f(m["types_samples_f"])],
                                      ["subset accuracy", _f(m["types_subset_acc"])]]),
            _table(prf, _esc_rows(_prf_rows(m["types_per_label"]))),
        ),
        _section("Type confusion", "<p class=note>documents per type</p>", _table(
            ["type", "TP", "FP", "FN", "TN"],
            _esc_rows([[t, c["tp"], c["fp"], c["fn"], c["tn"]] for t, c in m["types_confusion"].items()]))),
        _section("HOLDS", _table(["", "value"], [
            ["P", _f(m["holds_p"])], ["R", _f(m["holds_r"])], ["F", _f(m["holds_f"])],
            ["gold", hc["gold"]], ["predicted", hc["pred"]], ["correct", hc["correct"]]])),
    ]
    return f"<div class=summary>{''.join(sections)}</div>"


def _legend_html(schema: Schema) -> str:
    chips = [
        f'<span class=chip style="background:{escape(schema.colors.get(label, "#dddddd"))}" '
        f'title="{escape(schema.descriptions.get(label, ""))}">{escape(label)}</span>'
        for label in schema.span_labels
    ]
    chips += [
        f'<mark class="{kind}" style="background:#eeeeee">{escape(text)}</mark>'
        for kind, text in (("missed", "missed (gold column)"), ("spurious", "spurious (predicted column)"),
                           ("wrong_label", "wrong label or boundary"))
    ]
    return f"<p class=legend>{' '.join(chips)} <span class=note>(hover a span for details)</span></p>"


def _doc_html(n: int, gold: Doc, pred: Doc | None, *, colors: dict[str, str]) -> tuple[list[Any], str]:
    """(row of the document index, the document's side-by-side section)."""
    matches = doc_matches(gold, pred)
    counts = Counter(m.kind for m in matches)
    n_err = sum(counts[k] for k in ERROR_KINDS if k != "correct")
    pred_types = pred.types if pred is not None else None
    types_ok = gold.types is None or sorted(gold.types) == sorted(pred_types or [])
    row = [
        f'<a href="#doc-{n}">{escape(gold.id)}</a>', len(gold.spans), counts["correct"],
        f"<span class=bad>{n_err}</span>" if n_err else "0",
        _types(gold.types), _types(pred_types), "yes" if types_ok else "<span class=bad>no</span>",
    ]
    gold_marks, pred_marks = _span_marks(matches, gold.text)
    summary = ", ".join(f"{counts[k]} {KIND_TEXT[k]}" for k in ERROR_KINDS if counts[k]) or "no spans"
    missing = "<p class=bad>missing from the predictions: scored as predicting nothing</p>" if pred is None else ""
    section = (
        f'<div class=doc id="doc-{n}"><h3>{escape(gold.id)}</h3>{missing}'
        f"<p class=note>{escape(summary)}. Types: gold {_types(gold.types)}; predicted {_types(pred_types)}</p>"
        f"<div class=cols><div><h4>gold</h4><div class=text>{highlight(gold.text, gold_marks, colors=colors)}"
        f"</div></div><div><h4>predicted</h4><div class=text>{highlight(gold.text, pred_marks, colors=colors)}"
        f"</div></div></div>{_holds_html(gold, pred)}</div>"
    )
    return row, section


def render_html(
    metrics: dict[str, Any], gold: Sequence[Doc], pred: Sequence[Doc], *, title: str, schema: Schema | None = None
) -> str:
    """A self-contained HTML report: headline numbers, per-type tables, the article-type
    confusion and every document with gold and predicted spans side by side, errors outlined.

    Example::

        html = render_html(metrics, gold, pred, title="baseline on seeds", schema=load_schema())
    """
    schema = schema or load_schema()
    m = metrics
    body = [f"<h1>{escape(title)}</h1>",
            f"<p>{m['n_docs']} gold document(s), {m['n_typed_docs']} with article types.</p>"]
    if m["missing_ids"]:
        body.append(f"<p class=bad>Missing from the predictions (scored as predicting nothing): "
                    f"{escape(', '.join(m['missing_ids']))}</p>")
    if m["extra_ids"]:
        body.append(f"<p class=note>Predicted but not in gold (ignored): {escape(', '.join(m['extra_ids']))}</p>")
    body.append(_summary_html(m))
    pairs, _ = pair_docs(gold, pred)
    rows, sections = [], []
    for n, (g, p) in enumerate(pairs):
        row, section = _doc_html(n, g, p, colors=schema.colors)
        rows.append(row)
        sections.append(section)
    body.append("<h2>Documents</h2>" + _legend_html(schema))
    body.append(_table(["document", "gold spans", "correct", "errors", "gold types", "predicted types",
                        "types match"], rows))
    body += sections
    if "config" in m:
        body.append("<h2>What was scored</h2><p class=note>" + "<br>".join(
            f"{escape(str(k))}: {escape(str(v))}" for k, v in m["config"].items()) + "</p>")
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
