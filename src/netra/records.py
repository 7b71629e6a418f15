"""From spans to facts: one structured record per article, and the `netra records` command.

A record says who held which event, when and where, which officials took part in which office,
and which elections and regulations the article names, each with the character offsets it came
from. A field that cannot be resolved is `{"value": null, "reason": ...}`; nothing is guessed.

How an article is read (`article_layout`):

- The *lead paragraph* is the first line with at least 20 words (`LEAD_MIN_WORDS`); lines before
  it are the headline and page furniture ("Comment", "Share", a section name).
- The *dateline* is the start of the lead up to its first dash within 80 characters
  ("PURWAKARTA –", "Soreang, Info Burinyay –"): the place of filing and the outlet, not the event.
- The article ends at the first line after the lead that starts a comment box or a list of
  other stories ("Leave a Reply", "Recent Posts", "Discussion about this post", ...), and lines
  that advertise another story ("Baca Juga : ...", "See also ...") are not part of it.
- The *content* (headline and body without those parts) gives officials, elections and
  regulations; the *body* (content from the lead on) gives the event date.

The fields:

- `event_date`: the first DATE span in the body that resolves without a reference date
  (`netra.normalize.normalize_date`). Headline dates are skipped: a headline's date is as often
  the publication date as the event's.
- `place`: the first LOC outside the dateline in the sentence of the event date (where news says
  "... digelar di X, Rabu (11/10/2023)"); else the first LOC outside the dateline in the lead
  (flag `not_in_event_sentence`); else the dateline's LOC (flag `dateline`).
- `organiser`: the first government body ("Pemerintah ...", "Pemkab", "Pemkot", "Pemprov",
  "Pemda", "Pemdes") among the lead's ORG spans; else the first one in the body (flag
  `outside_lead`); else the lead's first ORG (flag `not_a_government_body`). Dateline ORGs
  (outlets) never count.
- `officials`: one per person (`netra.normalize.merge_names` joins "Benni" to "Benni Irwan"), in
  order of first mention. `role` is the ROLE of the person's first HOLDS relation, `evidence` the
  sentences of all of them. HOLDS relations come from the input when it has any, else from
  `netra.relations.link_holds`. A person with none has `role: null` and a `reason`.
- `elections` / `regulations`: one entry per canonical key (`normalize_event`, `normalize_law`)
  with every mention's offsets; unresolved mentions are grouped by their text, `key: null` with a
  reason. EVENT spans that are not elections are left out.

All offsets are `[start, end]` code-point offsets into the article text.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from netra.docs import Doc, Span, atomic_write_text
from netra.normalize import (
    Normalized,
    election_kind,
    election_year,
    merge_names,
    normalize_date,
    normalize_event,
    normalize_law,
)
from netra.relations import link_holds
from netra.report import highlight
from netra.schema import Schema, load_schema
from netra.validate import iter_records
from netra.words import tokenize

LEAD_MIN_WORDS = 20
DATELINE_MAX_CHARS = 80
# Lines that end the article: comment boxes and lists of other stories.
END_MARKERS = (
    "leave a reply", "leave a comment", "recent posts", "related posts", "berita terkait",
    "discussion about this post", "ikuti berita", "artikel terkait",
)
END_LINES = ("comment", "comments", "komentar")
# Lines that advertise another story inside the article.
TEASER_PREFIXES = ("baca juga", "baca:", "see also", "read also", "lihat juga", "simak juga")
_GOVERNMENT = re.compile(r"(?:pemerintah|pemkab|pemkot|pemprov|pemda|pemdes)(?![a-z])", re.I)
_DASH = re.compile(r"\s[–—-]\s")
# A sentence ends after . ! ? (and any closing quotes or brackets) followed by whitespace, or after
# a full stop stuck to the next capitalised word when the word before it is a number or a
# lower-case word ("tahun 2024.Karena"); abbreviations and initials are capitalised ("S.Sos.M.Si").
_SENTENCE_END = re.compile(r"[.!?]+[”\"’')\]]*(?=\s)|(?:(?<=\d)|(?<=[a-z]{3}))\.(?=[A-Z])")

@dataclass(frozen=True)
class Layout:
    """Where the parts of an article lie (see the module docstring)."""

    lead: tuple[int, int]
    dateline_end: int
    content: tuple[tuple[int, int], ...]

    def in_content(self, span: Span) -> bool:
        """Headline or body, not a teaser line or what follows the article."""
        return any(a <= span.start < b for a, b in self.content)

    def in_body(self, span: Span) -> bool:
        return span.start >= self.lead[0] and self.in_content(span)

    def in_lead(self, span: Span) -> bool:
        """In the lead paragraph, after its dateline."""
        return self.dateline_end <= span.start < self.lead[1]

    def in_dateline(self, span: Span) -> bool:
        return self.lead[0] <= span.start < self.dateline_end


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def article_layout(text: str) -> Layout:
    """Find the lead paragraph, its dateline and the article content in `text`.

    Example::

        layout = article_layout("Judul\\n\\nKOTA – " + "kata " * 30 + "\\nBaca Juga : lain\\nLeave a Reply")
        layout.dateline_end  # 11: "KOTA" is the dateline
    """
    lines = _lines(text)

    def kind(a: int, b: int) -> str:
        low = text[a:b].strip().lower()
        if low.startswith(TEASER_PREFIXES):
            return "teaser"
        if low.startswith(END_MARKERS) or low in END_LINES:
            return "end"
        return "text"

    def n_words(a: int, b: int) -> int:
        return sum(1 for w in tokenize(text[a:b]) if w.text[0].isalnum())

    nonblank = [(a, b) for a, b in lines if text[a:b].strip()]
    lead = next(
        ((a, b) for a, b in nonblank if kind(a, b) == "text" and n_words(a, b) >= LEAD_MIN_WORDS),
        nonblank[0] if nonblank else (0, len(text)),
    )
    dash = _DASH.search(text, lead[0], min(lead[1], lead[0] + DATELINE_MAX_CHARS))
    dateline_end = dash.start() if dash else lead[0]
    content = []
    for a, b in lines:
        k = kind(a, b)
        if k == "end" and a > lead[0]:
            break
        if k != "teaser":
            content.append((a, b + 1))
    return Layout(lead, dateline_end, tuple(content))


def sentence_bounds(text: str, *, spans: Sequence[Span] = ()) -> list[tuple[int, int]]:
    """Split `text` into sentences as (start, end) offsets, trimmed of whitespace.

    A sentence ends at a line break, or after . ! ? followed by whitespace (or, missing the space,
    after a number or lower-case word: "tahun 2024.Karena"); a full stop inside a span ("Pjs.
    Bupati", "M. Ilias Hamid", "Gedung Moch. Toha") does not end one.

    Example::

        sentence_bounds("Hadir Pjs. Bupati. Lalu pulang.", spans=[Span(6, 17, "ROLE")])
        # [(0, 18), (19, 31)]
    """
    cuts = {0, len(text)}
    for m in _SENTENCE_END.finditer(text):
        if not any(s.start <= m.start() < s.end for s in spans):
            cuts.add(m.end())
    cuts.update(i + 1 for i, ch in enumerate(text) if ch == "\n")
    out = []
    points = sorted(cuts)
    for a, b in zip(points, points[1:], strict=False):
        piece = text[a:b]
        if piece.strip():
            start = a + len(piece) - len(piece.lstrip())
            out.append((start, a + len(piece.rstrip())))
    return out


def _sentence_of(sentences: Sequence[tuple[int, int]], pos: int) -> tuple[int, int]:
    return next((s for s in sentences if s[0] <= pos < s[1]), (pos, pos))


def _unresolved(reason: str) -> dict[str, Any]:
    return {"value": None, "reason": reason}


def _found(span: Span, text: str, *, flags: Sequence[str] = ()) -> dict[str, Any]:
    return {"value": span.text_of(text), "offsets": [span.start, span.end], "flags": list(flags)}


def _event_date(doc: Doc, layout: Layout, spans: Sequence[Span]) -> tuple[dict[str, Any], Span | None]:
    dates = [s for s in spans if s.label == "DATE" and layout.in_body(s)]
    if not dates:
        return _unresolved("no DATE span in the article body"), None
    for s in dates:
        norm = normalize_date(s.text_of(doc.text))
        if norm.value is not None:
            return {"value": norm.value, "end": norm.end, "text": s.text_of(doc.text),
                    "offsets": [s.start, s.end], "flags": norm.flags}, s
    first = normalize_date(dates[0].text_of(doc.text))
    return _unresolved(f"no DATE span in the body resolves; the first, {dates[0].text_of(doc.text)!r}: "
                       f"{first.reason}"), None


def _place(doc: Doc, layout: Layout, spans: Sequence[Span], sentences: Sequence[tuple[int, int]],
           date: Span | None) -> dict[str, Any]:
    locs = [s for s in spans if s.label == "LOC"]
    if date is not None:
        a, b = _sentence_of(sentences, date.start)
        hit = next((s for s in locs if a <= s.start < b and not layout.in_dateline(s)), None)
        if hit:
            return _found(hit, doc.text)
    hit = next((s for s in locs if layout.in_lead(s)), None)
    if hit:
        return _found(hit, doc.text, flags=["not_in_event_sentence"] if date is not None else [])
    hit = next((s for s in locs if layout.in_dateline(s)), None)
    if hit:
        return _found(hit, doc.text, flags=["dateline"])
    return _unresolved("no LOC span in the event-date sentence or the lead paragraph")


def _organiser(doc: Doc, layout: Layout, spans: Sequence[Span]) -> dict[str, Any]:
    orgs = [s for s in spans if s.label == "ORG" and layout.in_body(s) and not layout.in_dateline(s)]

    def is_government(s: Span) -> bool:
        return _GOVERNMENT.match(s.text_of(doc.text)) is not None

    hit = next((s for s in orgs if layout.in_lead(s) and is_government(s)), None)
    if hit:
        return _found(hit, doc.text)
    hit = next((s for s in orgs if is_government(s)), None)
    if hit:
        return _found(hit, doc.text, flags=["outside_lead"])
    hit = next((s for s in orgs if layout.in_lead(s)), None)
    if hit:
        return _found(hit, doc.text, flags=["not_a_government_body"])
    return _unresolved("no ORG span in the lead paragraph and no government body in the body")


def _officials(doc: Doc, layout: Layout, sentences: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
    relations = [r for r in doc.relations if r.label == "HOLDS"] or link_holds(doc)
    role_of: dict[int, list[int]] = {}
    for r in relations:
        role_of.setdefault(r.head, []).append(r.tail)
    persons = sorted(
        (i for i, s in enumerate(doc.spans) if s.label == "PER" and layout.in_content(s)),
        key=lambda i: doc.spans[i].start,
    )
    officials = []
    for person in merge_names([doc.spans[i].text_of(doc.text) for i in persons]):
        mentions = [persons[m] for m in person.mentions]
        holds = [(p, t) for p in mentions for t in role_of.get(p, [])]
        entry: dict[str, Any] = {"name": person.name, "role": None}
        if holds:
            role = doc.spans[holds[0][1]]
            entry.update(role=role.text_of(doc.text), role_offsets=[role.start, role.end])
        entry["mentions"] = [[doc.spans[p].start, doc.spans[p].end] for p in mentions]
        if holds:
            entry["evidence"] = [list(_sentence_of(sentences, doc.spans[p].start)) for p, _ in holds]
        else:
            entry["reason"] = "no sentence in the article states this person's office"
        entry["flags"] = person.flags
        officials.append(entry)
    return officials


def _grouped(
    text: str, spans: Sequence[Span], normalize: Callable[[str], Normalized], *, with_articles: bool = False
) -> list[dict[str, Any]]:
    """One entry per canonical key (unresolved mentions: per text), mentions in text order."""
    groups: dict[Any, dict[str, Any]] = {}
    flag_sets: dict[Any, set[str]] = {}
    for s in spans:
        written = s.text_of(text)
        norm = normalize(written)
        group = norm.value if norm.value is not None else ("?", " ".join(written.casefold().split()))
        if group not in groups:
            groups[group] = {"key": norm.value, "text": written, "offsets": []}
            if norm.value is None:
                groups[group]["reason"] = norm.reason
            if with_articles:
                groups[group]["articles"] = []
            flag_sets[group] = set(norm.flags)
        entry = groups[group]
        entry["offsets"].append([s.start, s.end])
        flag_sets[group] &= set(norm.flags)  # a flag holds for the entry only if for every mention
        if "articles" in entry and norm.article and norm.article not in entry["articles"]:
            entry["articles"].append(norm.article)
    for group, entry in groups.items():
        entry["flags"] = sorted(flag_sets[group])
    return list(groups.values())


def build_record(doc: Doc) -> dict[str, Any]:
    """Build the record of one article (fields in the module docstring).

    Example::

        record = build_record(doc)
        record["event_date"]  # {'value': '2023-10-11', 'end': None, 'text': 'Rabu (11/10/2023)', ...}
        record["officials"][0]["name"], record["officials"][0]["role"]
    """
    spans = sorted(doc.spans)
    layout = article_layout(doc.text)
    sentences = sentence_bounds(doc.text, spans=spans)
    event_date, date_span = _event_date(doc, layout, spans)
    content = [s for s in spans if layout.in_content(s)]
    events = [s for s in content if s.label == "EVENT" and election_kind(s.text_of(doc.text))]
    year = election_year([s.text_of(doc.text) for s in events])

    record: dict[str, Any] = {"id": doc.id, "types": doc.types}
    if doc.type_scores is not None:
        record["type_scores"] = doc.type_scores
    record.update(
        event_date=event_date,
        place=_place(doc, layout, spans, sentences, date_span),
        organiser=_organiser(doc, layout, spans),
        officials=_officials(doc, layout, sentences),
        elections=_grouped(doc.text, events, lambda t: normalize_event(t, year=year)),
        regulations=_grouped(doc.text, [s for s in content if s.label == "LAW"], normalize_law,
                             with_articles=True),
    )
    return record


# ---------------------------------------------------------------- field-level accuracy


def _fold(value: Any) -> Any:
    return " ".join(value.casefold().split()) if isinstance(value, str) else value


def _field(record: dict[str, Any], name: str, *extra: str) -> tuple[Any, ...]:
    value = record.get(name) or {}
    return (_fold(value.get("value")), *(value.get(k) for k in extra))


def _entry_keys(record: dict[str, Any], field_name: str) -> set[Any]:
    """Comparable keys of a list field; an unresolved entry is compared by its text."""
    out: set[Any] = set()
    for e in record.get(field_name) or []:
        if field_name == "officials":
            out.add((_fold(e["name"]), _fold(e.get("role"))))
        else:
            out.add(e["key"] if e.get("key") is not None else ("?", _fold(e.get("text"))))
    return out


def _prf(correct: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = correct / n_pred if n_pred else 1.0 if not n_gold else 0.0
    r = correct / n_gold if n_gold else 1.0 if not n_pred else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def records_field_accuracy(
    gold_records: Sequence[dict[str, Any]], pred_records: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Field-level agreement of predicted records with gold records, matched by id.

    Keys (every gold record counts; a missing prediction counts as an empty record):

    - `records_n`: number of gold records.
    - `records_types_acc`: share whose set of article types is exactly right.
    - `records_event_date_acc`: share whose event date (value and range end) is right; two
      unresolved dates agree.
    - `records_place_acc`, `records_org_acc`: share whose place / organiser text is right
      (case and spacing ignored; two unresolved fields agree).
    - `records_officials_p/r/f`: micro precision/recall/F over (name, role) pairs.
    - `records_elections_p/r/f`, `records_regulations_p/r/f`: micro P/R/F over canonical keys
      (an unresolved entry counts by its text).

    Example::

        records_field_accuracy(gold, pred)["records_officials_f"]  # 0.8
    """
    by_id = {r["id"]: r for r in pred_records}
    hits = dict.fromkeys(("types", "event_date", "place", "org"), 0)
    counts = {f: [0, 0, 0] for f in ("officials", "elections", "regulations")}  # correct, pred, gold
    for g in gold_records:
        p = by_id.get(g["id"], {"id": g["id"]})
        hits["types"] += set(g.get("types") or []) == set(p.get("types") or [])
        hits["event_date"] += _field(g, "event_date", "end") == _field(p, "event_date", "end")
        hits["place"] += _field(g, "place") == _field(p, "place")
        hits["org"] += _field(g, "organiser") == _field(p, "organiser")
        for f, c in counts.items():
            gk, pk = _entry_keys(g, f), _entry_keys(p, f)
            c[0] += len(gk & pk)
            c[1] += len(pk)
            c[2] += len(gk)
    n = len(gold_records)
    out: dict[str, Any] = {"records_n": n}
    for key, h in hits.items():
        out[f"records_{key}_acc"] = h / n if n else 0.0
    for f, (correct, n_pred, n_gold) in counts.items():
        out[f"records_{f}_p"], out[f"records_{f}_r"], out[f"records_{f}_f"] = _prf(correct, n_pred, n_gold)
    return out


# ---------------------------------------------------------------- CSV and HTML

CSV_COLUMNS = (
    "id", "types", "event_date", "event_date_end", "event_date_text", "event_date_reason",
    "place", "place_reason", "organiser", "organiser_reason", "officials", "elections", "regulations",
)


def _official_text(o: dict[str, Any]) -> str:
    return f"{o['name']} ({o['role']})" if o.get("role") else o["name"]


def _entry_text(e: dict[str, Any]) -> str:
    if e.get("key") is None:
        return f"{e['text']} (unresolved)"
    return " ".join([*e.get("articles", []), e["key"]])


def records_to_csv(records: Iterable[dict[str, Any]]) -> str:
    """One CSV row per article (`CSV_COLUMNS`); list fields are joined with "; ".

    An unresolved field is an empty cell with its reason in the `<field>_reason` column; an
    official without an office appears as the name alone.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        date, place, org = r["event_date"], r["place"], r["organiser"]
        writer.writerow([
            r["id"], "; ".join(r.get("types") or []),
            date["value"] or "", date.get("end") or "", date.get("text", ""), date.get("reason", ""),
            place["value"] or "", place.get("reason", ""), org["value"] or "", org.get("reason", ""),
            "; ".join(_official_text(o) for o in r["officials"]),
            "; ".join(_entry_text(e) for e in r["elections"]),
            "; ".join(_entry_text(e) for e in r["regulations"]),
        ])
    return buf.getvalue()


_PAGE_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eef; cursor: pointer; user-select: none; }
th.asc::after { content: " \\25B2"; } th.desc::after { content: " \\25BC"; }
tbody tr { cursor: pointer; } tbody tr:hover { background: #f6f6ff; }
.unresolved { color: #999; font-style: italic; }
.legend mark, .article mark { padding: 0 2px; border-radius: 3px; }
.article mark::after { content: attr(data-label); font-size: 9px; color: #444; margin-left: 2px; }
td:nth-child(3) { white-space: nowrap; }
.article { border-top: 2px solid #99c; margin-top: 24px; }
.article.flash { background: #ffffe0; }
.article .text { white-space: pre-wrap; font: 14px/1.6 Georgia, serif; max-width: 60em; }
"""

_PAGE_SCRIPT = """
document.querySelectorAll('#records th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var tbody = document.querySelector('#records tbody');
    var asc = !th.classList.contains('asc');
    document.querySelectorAll('#records th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
    th.classList.add(asc ? 'asc' : 'desc');
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-sort'), y = b.cells[col].getAttribute('data-sort');
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  });
});
document.querySelectorAll('#records tbody tr').forEach(function (tr) {
  tr.addEventListener('click', function () {
    var target = document.getElementById(tr.getAttribute('data-article'));
    target.scrollIntoView({behavior: 'smooth'});
    target.classList.add('flash');
    setTimeout(function () { target.classList.remove('flash'); }, 1500);
  });
});
"""


def _cell(shown: str, *, sort: str | None = None, reason: str | None = None) -> str:
    sort_key = html.escape((sort if sort is not None else shown).casefold(), quote=True)
    if reason is not None:
        # Unresolved fields sort after every value when ascending.
        return (f'<td data-sort="\uffff" class="unresolved" title="{html.escape(reason, quote=True)}">'
                f"unresolved: {html.escape(reason)}</td>")
    return f'<td data-sort="{sort_key}">{html.escape(shown)}</td>'


def render_html(records: Sequence[dict[str, Any]], docs: Sequence[Doc], *, schema: Schema) -> str:
    """A self-contained page: a table of the records, sortable by clicking a column header, and
    below it every article's text with its spans coloured by `schema.colors`. Works offline.

    Example::

        atomic_write_text("records.html", render_html(records, docs, schema=load_schema()))
    """
    head = ["id", "types", "event date", "place", "organiser", "officials", "elections", "regulations"]
    rows = []
    for n, r in enumerate(records):
        date, place, org = r["event_date"], r["place"], r["organiser"]
        date_shown = date["value"] + (f" – {date['end']}" if date.get("end") else "") if date["value"] else ""
        cells = [
            _cell(r["id"]),
            _cell(", ".join(r.get("types") or [])),
            _cell(date_shown, reason=date.get("reason")),
            _cell(place["value"] or "", reason=place.get("reason")),
            _cell(org["value"] or "", reason=org.get("reason")),
            _cell("; ".join(_official_text(o) for o in r["officials"])),
            _cell("; ".join(_entry_text(e) for e in r["elections"])),
            _cell("; ".join(_entry_text(e) for e in r["regulations"])),
        ]
        rows.append(f'<tr data-article="article-{n}">{"".join(cells)}</tr>')
    legend = " ".join(
        f'<mark style="background:{html.escape(schema.colors.get(label, "#dddddd"), quote=True)}">'
        f"{html.escape(label)}</mark>"
        for label in schema.span_labels
    )
    articles = [
        f'<section class="article" id="article-{n}"><h2>{html.escape(doc.id)}</h2><div class="text">'
        + highlight(doc.text, [(s, "span", s.label) for s in doc.spans], colors=schema.colors)
        + "</div></section>"
        for n, doc in enumerate(docs)
    ]
    return (
        '<!DOCTYPE html>\n<html lang="id"><head><meta charset="utf-8"><title>netra records</title>'
        f"<style>{_PAGE_STYLE}</style></head><body>\n"
        f"<h1>netra records</h1><p>{len(records)} article(s). Click a column header to sort, a row to "
        f'jump to its article.</p><p class="legend">{legend}</p>\n'
        '<table id="records"><thead><tr>' + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>\n" + "\n".join(articles)
        + f"\n<script>{_PAGE_SCRIPT}</script></body></html>\n"
    )


# ---------------------------------------------------------------- the command


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="netra JSONL with spans (gold or predicted)")
    p.add_argument("--output", required=True, help="records JSONL to write (one record per article)")
    p.add_argument("--csv", help="also write a CSV table, one row per article")
    p.add_argument("--html", help="also write a self-contained, sortable HTML page (records.html)")
    p.add_argument("--labels", help="label schema (default: data/labels.yaml)")


def run(args: argparse.Namespace) -> int:
    """`netra records`: build records; report bad input lines and go on. Exit 1 if any were bad.

    Example::

        netra records --input pred.jsonl --output records.jsonl --csv records.csv --html records.html
    """
    schema = load_schema(args.labels)
    outputs = [Path(x) for x in (args.output, args.csv, args.html) if x]
    resolved = [Path(args.input).resolve()] + [o.resolve() for o in outputs]
    if len(set(resolved)) != len(resolved):
        print(f"error: --input, --output, --csv and --html must be different files, got "
              f"{', '.join(str(x) for x in [args.input, *outputs])} (name each output file differently)",
              file=sys.stderr)
        return 2
    docs: list[Doc] = []
    records: list[dict[str, Any]] = []
    n_bad = 0
    for rec in tqdm(iter_records(args.input, schema=schema), desc="records", unit=" doc", leave=False):
        errors = [p for p in rec.problems if p.severity == "error"]
        for problem in errors:
            tqdm.write(str(problem), file=sys.stderr)
        if rec.doc is None:
            n_bad += 1
            continue
        docs.append(rec.doc)
        records.append(build_record(rec.doc))
    if not records:
        print(f"error: {args.input}: no valid document, nothing written (fix the lines reported above)",
              file=sys.stderr)
        return 1
    atomic_write_text(args.output, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    if args.csv:
        atomic_write_text(args.csv, records_to_csv(records))
    if args.html:
        atomic_write_text(args.html, render_html(records, docs, schema=schema))
    skipped = f"; skipped {n_bad} bad line(s) reported above" if n_bad else ""
    print(f"wrote {len(records)} record(s) to {', '.join(str(o) for o in outputs)}{skipped}", file=sys.stderr)
    return 1 if n_bad else 0
