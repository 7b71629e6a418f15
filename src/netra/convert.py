"""Converters between netra JSONL and doccano, Label Studio, CoNLL/IOB2 and brat (data/FORMAT.md).

Every importer builds `Doc`s and checks each one with `netra.validate.check_object`, so what
`read_as` returns always passes `netra validate`. Problems are `netra.validate.Problem`s, one line
each. Offsets are never shifted to repair a tool's mistakes: a span whose text disagrees with its
offsets is an error naming the record.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from netra.bio import bio_to_spans, misaligned_spans, spans_to_bio
from netra.docs import Doc, Relation, Span, atomic_write_text, write_docs
from netra.schema import Schema, load_schema
from netra.validate import InvalidData, Problem, check_object, validate_file
from netra.words import Word, tokenize

FORMATS = ("netra", "doccano", "labelstudio", "conll", "brat")

# Beyond text and labelled spans, what each format carries; exporting anything else is reported.
_CARRIES: dict[str, set[str]] = {
    "netra": {"types", "relations", "span scores", "type scores", "meta"},
    "doccano": {"types", "meta"},
    "labelstudio": {"types", "relations", "span scores", "meta"},
    "brat": {"types", "relations"},
    "conll": set(),
}
_FEATURES: dict[str, Callable[[Doc], bool]] = {
    "types": lambda d: d.types is not None,
    "relations": lambda d: bool(d.relations),
    "span scores": lambda d: any(s.score is not None for s in d.spans),
    "type scores": lambda d: d.type_scores is not None,
    "meta": lambda d: bool(d.meta),
}

BRAT_TYPES_NOTE = "ArticleTypes"  # brat has no document-level annotation: types go in a note line
_DOCSTART = "-DOCSTART-"


# ----------------------------------------------------------------------------------------------
# Shared plumbing


@dataclass
class _Draft:
    """A document built from one source record, before validation."""

    doc: Doc
    path: str
    line: int | None = None
    problems: list[Problem] = field(default_factory=list)
    broken: bool = False  # an error reported once for many records (CoNLL labels) concerns this one


def parse_label_map(text: str, *, schema: Schema | None = None) -> dict[str, str]:
    """Parse `SRC=DST,SRC=DST`; DST must be a span label of the schema, or O to drop SRC.

    Example::

        parse_label_map("PERSON=PER,PLACE=LOC,TIME=O")
        # {'PERSON': 'PER', 'PLACE': 'LOC', 'TIME': 'O'}
    """
    schema = schema or load_schema()
    out: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        src, sep, dst = (x.strip() for x in item.partition("="))
        if not sep or not src or not dst:
            raise ValueError(f"--label-map: {item!r} is not SRC=DST (example: PERSON=PER,PLACE=LOC,TIME=O)")
        if dst != "O" and dst not in schema.span_labels:
            raise ValueError(
                f"--label-map: {item!r} maps to {dst!r}, which is not a netra label "
                f"(use one of {list(schema.span_labels)}, or O to drop {src})"
            )
        out[src] = dst
    return out


def _map_labels(draft: _Draft, label_map: dict[str, str]) -> Doc:
    """Rename span labels; drop spans mapped to O and the relations that used them."""
    doc = draft.doc

    def target(label: Any) -> Any:
        return label_map.get(label, label) if isinstance(label, str) else label

    keep = [i for i, s in enumerate(doc.spans) if target(s.label) != "O"]
    new_index = {old: new for new, old in enumerate(keep)}
    relations = []
    for r in doc.relations:
        ends = []
        for i in (r.head, r.tail):
            # An index that never pointed at a span stays as it is, for validation to report.
            ends.append(new_index.get(i) if isinstance(i, int) and 0 <= i < len(doc.spans) else i)
        if None in ends:
            draft.problems.append(Problem(draft.path, draft.line, doc.id,
                f"relation {r.head} -> {r.tail} dropped: --label-map maps one of its spans to O",
                "map the label to a netra label to keep the relation", "warning"))
            continue
        relations.append(replace(r, head=ends[0], tail=ends[1]))
    spans = [replace(doc.spans[i], label=target(doc.spans[i].label)) for i in keep]
    return replace(doc, spans=spans, relations=relations)


def _finish(
    drafts: list[_Draft],
    found: list[Problem],
    *,
    source: str,
    schema: Schema,
    label_map: dict[str, str] | None,
    problems: list[Problem] | None,
    skip_invalid: bool,
) -> list[Doc]:
    """Validate drafts; return the valid docs or raise InvalidData listing every error.

    `found` holds problems already met while reading; `source` names the input when it holds no
    record at all. Warnings go to `problems`; so do errors when `skip_invalid` keeps the valid
    documents instead of raising.
    """
    if not drafts and not found:
        found.append(Problem(source, None, None, "no documents found", "the input is empty"))
    docs: list[Doc] = []
    first_line: dict[str, int | None] = {}
    for d in drafts:
        doc = _map_labels(d, label_map) if label_map else d.doc
        # A record whose text could not be read already says why; "'text' is empty" would only repeat it.
        if doc.text or not any(p.severity == "error" for p in d.problems):
            for severity, message, fix in check_object(doc.to_dict(with_span_text=False), schema=schema):
                d.problems.append(Problem(d.path, d.line, doc.id, message, fix, severity))
        if doc.id in first_line:
            where = f" (first used on line {first_line[doc.id]})" if first_line[doc.id] else ""
            d.problems.append(Problem(d.path, d.line, doc.id, f"duplicate id{where}",
                                      "give every document a unique id"))
        else:
            first_line[doc.id] = d.line
        found += d.problems
        if not d.broken and not any(p.severity == "error" for p in d.problems):
            docs.append(doc)
    found.sort(key=lambda p: (p.path, p.line or 0))
    errors = [p for p in found if p.severity == "error"]
    if problems is not None:
        problems += [p for p in found if skip_invalid or p.severity != "error"]
    if errors and not skip_invalid:
        raise InvalidData(errors)
    return docs


def _read_lines(path: Path) -> Iterator[tuple[int, str | Problem]]:
    """Each line of a UTF-8 file without its line ending, or a Problem when it does not decode."""
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise InvalidData([Problem(str(path), None, None, f"cannot read: {exc.strerror}", "check the path")]) from exc
    with f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, Problem(str(path), lineno, None, f"not valid UTF-8 (byte {exc.start} of the line)",
                                      "re-save the file as UTF-8")
                continue
            if lineno == 1:
                line = line.removeprefix("\ufeff")
            yield lineno, line.rstrip("\r\n")


def _read_text(path: Path) -> str:
    """A whole UTF-8 file with universal newlines; errors name the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidData([Problem(str(path), None, None, f"cannot read: {exc.strerror}", "check the path")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidData([Problem(str(path), line, None, "not valid UTF-8", "re-save the file as UTF-8")]) from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _mismatch(path: str, line: int | None, doc_id: str, what: str, tool_text: str, text: str, start: Any,
              end: Any) -> Problem | None:
    """An error when a tool's copy of the span text is not text[start:end]."""
    if not (isinstance(start, int) and isinstance(end, int)):
        return None  # validation reports the offsets themselves
    covered = text[start:end]
    if tool_text == covered:
        return None
    return Problem(path, line, doc_id, f"{what} text {tool_text!r} differs from text[{start}:{end}] = {covered!r}",
                   "the tool's offsets are wrong for this text; fix them there, netra does not shift them")


# ----------------------------------------------------------------------------------------------
# doccano: JSONL, {"id", "text", "label": [[start, end, label]], "cats": [type]}


def read_doccano(
    path: str | os.PathLike,
    *,
    label_map: dict[str, str] | None = None,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
) -> list[Doc]:
    """Read a doccano JSONL export (spans under `label`, `labels` or `entities`; types under `cats`).

    `entities` may hold doccano's relation-project objects (`id`, `start_offset`, `end_offset`,
    `label`); their `relations` (`from_id`, `to_id`, `type`) are kept.
    """
    path = Path(path)
    found: list[Problem] = []
    drafts: list[_Draft] = []
    for lineno, line in _read_lines(path):
        if isinstance(line, Problem):
            found.append(line)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            found.append(Problem(str(path), lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}",
                                 "each line must be one complete JSON object"))
            continue
        drafts.append(_doccano_draft(obj, path=str(path), line=lineno, default_id=f"{path.stem}-{lineno}"))
    return _finish(drafts, found, source=str(path), schema=schema or load_schema(), label_map=label_map,
                   problems=problems, skip_invalid=skip_invalid)


def _doccano_draft(obj: Any, *, path: str, line: int, default_id: str) -> _Draft:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        draft = _Draft(Doc(default_id, ""), path, line)
        draft.problems.append(Problem(path, line, None, "expected an object with a string 'text'",
                                      'doccano lines look like {"text": "...", "label": [[0, 5, "PER"]]}'))
        return draft
    doc_id = str(obj["id"]) if obj.get("id") not in (None, "") else default_id
    draft = _Draft(Doc(doc_id, obj["text"]), path, line)

    def error(message: str, fix: str) -> None:
        draft.problems.append(Problem(path, line, doc_id, message, fix))

    key = next((k for k in ("label", "labels", "entities") if k in obj), "label")
    items = obj.get(key) or []
    if not isinstance(items, list):
        error(f"'{key}' must be a list", "write spans as [[start, end, label], ...]")
        items = []
    by_entity_id: dict[Any, int] = {}
    for k, item in enumerate(items):
        if isinstance(item, list) and len(item) == 3:
            start, end, label = item
        elif isinstance(item, dict) and {"start_offset", "end_offset", "label"} <= item.keys():
            start, end, label = item["start_offset"], item["end_offset"], item["label"]
            if item.get("id") is not None:
                by_entity_id[item["id"]] = len(draft.doc.spans)
        else:
            error(f"{key}[{k}] is {item!r}", "expected [start, end, label] or {start_offset, end_offset, label}")
            continue
        draft.doc.spans.append(Span(start, end, label))
    for k, rel in enumerate(obj.get("relations") or []):
        if not isinstance(rel, dict) or rel.get("from_id") not in by_entity_id or rel.get("to_id") not in by_entity_id:
            error(f"relations[{k}] does not link two entities of this record",
                  "from_id and to_id must be ids of objects in 'entities'")
            continue
        draft.doc.relations.append(
            Relation(by_entity_id[rel["from_id"]], by_entity_id[rel["to_id"]], str(rel.get("type", "HOLDS"))))
    cats = obj.get("cats")
    if cats is not None and not isinstance(cats, list):
        error("'cats' must be a list of article types", "write cats as [\"pledge\", ...]")
    elif cats is not None:
        draft.doc.types = list(cats)
    if isinstance(obj.get("meta"), dict):
        draft.doc.meta = dict(obj["meta"])
    return draft


def doccano_record(doc: Doc) -> dict[str, Any]:
    """One doccano JSONL object: id, text, label triples, cats (when typed) and meta (when any)."""
    out: dict[str, Any] = {"id": doc.id, "text": doc.text, "label": [[s.start, s.end, s.label] for s in doc.spans]}
    if doc.types is not None:
        out["cats"] = list(doc.types)
    if doc.meta:
        out["meta"] = dict(doc.meta)
    return out


def write_doccano(docs: Sequence[Doc], path: str | os.PathLike) -> None:
    atomic_write_text(path, "".join(json.dumps(doccano_record(d), ensure_ascii=False) + "\n" for d in docs))


# ----------------------------------------------------------------------------------------------
# Label Studio: a JSON list of tasks, {"data": {"text"}, "annotations"|"predictions": [{"result": []}]}


def read_labelstudio(
    path: str | os.PathLike,
    *,
    label_map: dict[str, str] | None = None,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
) -> list[Doc]:
    """Read a Label Studio JSON export of text tasks.

    Per task the first annotation that was not cancelled is read; a task without annotations is
    read from its first prediction (region scores become span scores, `model_version` goes to
    `meta.model_version`). `labels` results become spans, `choices` results article types and
    `relation` results relations.
    """
    path = Path(path)
    src = str(path)
    try:
        tasks = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InvalidData([Problem(src, exc.lineno, None, f"malformed JSON: {exc.msg} at column {exc.colno}",
                                   "export the project with Label Studio's JSON export")]) from exc
    if not isinstance(tasks, list):
        raise InvalidData([Problem(src, None, None, "expected a JSON list of tasks",
                                   "use Label Studio's JSON export, not JSON-MIN or CSV")])
    found: list[Problem] = []
    drafts: list[_Draft] = []
    ignored: Counter[str] = Counter()
    for number, task in enumerate(tasks, start=1):
        draft = _labelstudio_draft(task, number=number, path=path, ignored=ignored)
        if isinstance(draft, Problem):
            found.append(draft)
        else:
            drafts.append(draft)
    for kind, n in sorted(ignored.items()):
        found.append(Problem(src, None, None, f"ignored {n} result(s) of type {kind!r}",
                             "netra reads labels, choices and relation results", "warning"))
    return _finish(drafts, found, source=src, schema=schema or load_schema(), label_map=label_map,
                   problems=problems, skip_invalid=skip_invalid)


def _labelstudio_draft(task: Any, *, number: int, path: Path, ignored: Counter[str]) -> _Draft | Problem:
    src = str(path)
    where = f"task {number}"
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return Problem(src, None, None, f"{where} has no data.text", "netra reads text tasks with the text in data.text")
    text = data["text"]
    doc_id = str(data.get("id") or task.get("id") or f"{path.stem}-{number}")
    draft = _Draft(Doc(doc_id, text, meta=dict(task["meta"]) if isinstance(task.get("meta"), dict) else {}), src)

    def note(message: str, fix: str, severity: str = "error") -> None:
        draft.problems.append(Problem(src, None, doc_id, f"{where}: {message}", fix, severity))

    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    chosen, predicted = (annotations, False) if annotations else (predictions, True)
    if not chosen:
        return draft
    if len(chosen) > 1:
        kind = "predictions" if predicted else "annotations"
        note(f"has {len(chosen)} {kind}; netra reads the first", "export one annotation per task", "warning")
    if predicted and chosen[0].get("model_version") is not None:
        draft.doc.meta["model_version"] = chosen[0]["model_version"]
    region: dict[Any, int] = {}
    links = []
    for item in chosen[0].get("result") or []:
        kind = item.get("type") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        value = value if isinstance(value, dict) else {}
        if kind == "labels":
            labels = value.get("labels") or []
            if len(labels) != 1:
                note(f"region {item.get('id')} has labels {labels}", "give every region exactly one label")
                continue
            start, end = value.get("start"), value.get("end")
            if "text" in value:
                bad = _mismatch(src, None, doc_id, f"{where}: region {item.get('id')}", value["text"], text, start, end)
                if bad:
                    draft.problems.append(bad)
            score = item.get("score") if predicted else None
            if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
                note(f"region {item.get('id')} has score {score!r}", "a region's score is a number in [0, 1]")
                continue
            region[item.get("id")] = len(draft.doc.spans)
            draft.doc.spans.append(Span(start, end, labels[0], score))
        elif kind == "choices" and "start" in value:
            ignored["choices (per region)"] += 1  # a region's attribute, not the article's type
        elif kind == "choices":
            draft.doc.types = (draft.doc.types or []) + list(value.get("choices") or [])
        elif kind == "relation":
            links.append(item)
        else:
            ignored[str(kind)] += 1
    for item in links:
        ends = [region.get(item.get("from_id")), region.get(item.get("to_id"))]
        if None in ends or item.get("direction") == "bi":
            note(f"relation {item.get('from_id')} -> {item.get('to_id')} does not link two labelled regions "
                 "in one direction", "draw the relation from the person to the role")
            continue
        head, tail = ends[::-1] if item.get("direction") == "left" else ends
        labels = item.get("labels") or []
        draft.doc.relations.append(Relation(head, tail, labels[0]) if labels else Relation(head, tail))
    return draft


def labelstudio_task(doc: Doc) -> dict[str, Any]:
    """One Label Studio task; a document with scores becomes a prediction, otherwise an annotation.

    Control names: Labels `label`, Choices `type`, both on the Text tag `text` (data/FORMAT.md).
    """
    result: list[dict[str, Any]] = []
    for i, s in enumerate(doc.spans):
        item = {"id": f"s{i}", "from_name": "label", "to_name": "text", "type": "labels",
                "value": {"start": s.start, "end": s.end, "text": s.text_of(doc.text), "labels": [s.label]}}
        if s.score is not None:
            item["score"] = s.score
        result.append(item)
    for r in doc.relations:
        result.append({"from_id": f"s{r.head}", "to_id": f"s{r.tail}", "type": "relation", "direction": "right",
                       "labels": [r.label]})
    if doc.types is not None:
        result.append({"id": "types", "from_name": "type", "to_name": "text", "type": "choices",
                       "value": {"choices": list(doc.types)}})
    task: dict[str, Any] = {"data": {"id": doc.id, "text": doc.text}}
    scores = [s.score for s in doc.spans if s.score is not None]
    if scores or doc.type_scores is not None:
        prediction: dict[str, Any] = {"model_version": str(doc.meta.get("model_version", "netra")), "result": result}
        if scores:
            prediction["score"] = sum(scores) / len(scores)
        task["predictions"] = [prediction]
    else:
        task["annotations"] = [{"result": result}]
    if doc.meta:
        task["meta"] = dict(doc.meta)
    return task


def write_labelstudio(docs: Sequence[Doc], path: str | os.PathLike) -> None:
    atomic_write_text(path, json.dumps([labelstudio_task(d) for d in docs], ensure_ascii=False, indent=1) + "\n")


# ----------------------------------------------------------------------------------------------
# CoNLL / IOB2: token per line, blank line between sentences, -DOCSTART- between documents



@dataclass
class _Sentence:
    tokens: list[tuple[int, str, str]] = field(default_factory=list)  # (line, token, tag)
    problems: list[Problem] = field(default_factory=list)


def iob2_tags(
    tags: Sequence[str], *, label_map: dict[str, str] | None = None, schema: Schema
) -> tuple[list[str], list[tuple[int, str]], list[int]]:
    """Normalise one sentence's BIO tags to IOB2 over netra labels.

    Labels go through `label_map` (a label mapped to O becomes O). An I-X that does not follow a
    B-X or I-X of the same source label becomes B-X. Returns the tags, the (index, tag) pairs
    that could not be read (not BIO, or a label outside the schema; they become O) and the
    indices of I- tags read as B-.

    Example::

        iob2_tags(["I-PERSON", "I-PERSON", "O"], label_map={"PERSON": "PER"}, schema=load_schema())
        # (['B-PER', 'I-PER', 'O'], [], [0])
    """
    out: list[str] = []
    bad: list[tuple[int, str]] = []
    fixed: list[int] = []
    previous: str | None = None  # source label of the previous token
    for i, tag in enumerate(tags):
        prefix, sep, label = tag.partition("-")
        if tag == "O" or (sep and prefix in ("B", "I") and label and (label_map or {}).get(label) == "O"):
            out.append("O")
            previous = None
            continue
        target = (label_map or {}).get(label, label)
        if not sep or prefix not in ("B", "I") or target not in schema.span_labels:
            bad.append((i, tag))
            out.append("O")
            previous = None
            continue
        if prefix == "I" and previous != label:
            prefix = "B"
            fixed.append(i)
        out.append(f"{prefix}-{target}")
        previous = label
    return out, bad, fixed


def read_conll(
    path: str | os.PathLike,
    *,
    label_map: dict[str, str] | None = None,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
    column: int = -1,
    token_column: int = 0,
) -> list[Doc]:
    """Read CoNLL-style BIO/IOB2 data; the text is rebuilt from the tokens.

    Columns are split on tabs when a line has one, else on whitespace; `column` picks the tag and
    `token_column` the token (0-based; negative counts from the end). `-DOCSTART-` lines separate
    documents (the rest of the line, if any, is the id); a file without them holds one document
    per sentence. Ids default to `<file stem>-<n>`. Sentences are joined with a newline, tokens
    with one space. `meta.annotated_labels` lists the labels the file was annotated for: the
    targets of `label_map` and the labels seen.

    Example::

        docs = read_conll("train_preprocess.txt", label_map={"PERSON": "PER", "PLACE": "LOC"})
    """
    path = Path(path)
    schema = schema or load_schema()
    src = str(path)
    groups, found = _conll_groups(path, column=column, token_column=token_column)
    bad: dict[tuple[str, str], list[int]] = {}  # ("label"|"tag", value) -> lines
    fixed: list[int] = []
    seen: set[str] = set()
    drafts: list[_Draft] = []
    for n, (doc_id, sentences) in enumerate(groups, start=1):
        doc_id = doc_id or f"{path.stem}-{n}"
        first = next((s.tokens[0][0] for s in sentences if s.tokens), None)
        draft = _Draft(Doc(doc_id, ""), src, first)
        words: list[Word] = []
        tags: list[str] = []
        offset = 0
        for s in sentences:
            draft.problems += [replace(p, doc_id=doc_id) for p in s.problems]
            s_tags, s_bad, s_fixed = iob2_tags([t for _, _, t in s.tokens], label_map=label_map, schema=schema)
            for i, tag in s_bad:
                prefix, sep, label = tag.partition("-")
                # One problem per unknown label (B- and I- together), one per malformed tag
                key = ("label", label) if sep and prefix in ("B", "I") and label else ("tag", tag)
                bad.setdefault(key, []).append(s.tokens[i][0])
                draft.broken = True
            fixed += [s.tokens[i][0] for i in s_fixed]
            for _, token, _ in s.tokens:
                words.append(Word(offset, offset + len(token), token))
                offset += len(token) + 1  # the space after a token, or the newline after a sentence
            tags += s_tags
        if not words and not draft.problems:
            continue  # a -DOCSTART- with nothing after it
        draft.doc.text = "\n".join(" ".join(tok for _, tok, _ in s.tokens) for s in sentences if s.tokens)
        draft.doc.spans = bio_to_spans(words, tags)
        seen |= {s.label for s in draft.doc.spans}
        drafts.append(draft)

    for (kind, value), lines in bad.items():
        found.append(_bad_tag_problem(src, kind, value, lines, label_map=label_map, schema=schema))
    if fixed:
        found.append(Problem(src, fixed[0], None,
                             f"{len(fixed)} I- tag(s) do not continue a span of their label and were read as B-",
                             "the source may be IOB1 or have slips; check those spans", "warning"))
    targets = {v for v in (label_map or {}).values() if v != "O"}
    annotated = [label for label in schema.span_labels if label in seen | targets]
    for d in drafts:
        d.doc.meta["annotated_labels"] = annotated
    return _finish(drafts, found, source=src, schema=schema, label_map=None, problems=problems,
                   skip_invalid=skip_invalid)


def _conll_groups(
    path: Path, *, column: int, token_column: int
) -> tuple[list[tuple[str | None, list[_Sentence]]], list[Problem]]:
    """Split a CoNLL file into documents (id or None, sentences)."""
    src = str(path)
    groups: list[tuple[str | None, list[_Sentence]]] = [(None, [])]
    sentence = _Sentence()
    any_docstart = False

    def end_sentence() -> None:
        nonlocal sentence
        if sentence.tokens or sentence.problems:
            groups[-1][1].append(sentence)
        sentence = _Sentence()

    for lineno, line in _read_lines(path):
        if isinstance(line, Problem):
            sentence.problems.append(line)
            continue
        if not line.strip():
            end_sentence()
            continue
        fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
        if fields[0] == _DOCSTART:
            end_sentence()
            rest = line.strip()[len(_DOCSTART):].split()
            # CoNLL-2003 writes "-DOCSTART- -X- -X- O": no id there
            groups.append((" ".join(rest) if rest and not set(rest) <= {"-X-", "O"} else None, []))
            any_docstart = True
            continue
        try:
            token, tag = fields[token_column], fields[column]
        except IndexError:
            token = tag = None
        # With one column the token would be read as its own tag.
        if tag is None or len(fields) < 2:
            sentence.problems.append(Problem(src, lineno, None, f"line has {len(fields)} column(s)",
                                             "each token needs its tag; pick the columns with --token-column "
                                             "and --column"))
            continue
        if not token:
            sentence.problems.append(Problem(src, lineno, None, "empty token", "remove the line or give the token"))
            continue
        sentence.tokens.append((lineno, token, tag))
    end_sentence()
    if not any_docstart:
        return [(None, [s]) for s in groups[0][1]], []
    if not groups[0][1]:
        groups.pop(0)
    found = [] if sum(len(s) for _, s in groups) else [
        Problem(src, None, None, "no tokens found", "CoNLL files have one token and its tag per line")]
    return groups, found


def _bad_tag_problem(src: str, kind: str, value: str, lines: list[int], *, label_map: dict[str, str] | None,
                     schema: Schema) -> Problem:
    more = f" (and {len(lines) - 1} more line(s))" if len(lines) > 1 else ""
    if kind == "tag":
        return Problem(src, lines[0], None, f"tag {value!r} is not O, B-X or I-X{more}",
                       "netra reads BIO/IOB2 tags; pick the tag column with --column")
    target = (label_map or {}).get(value, value)
    what = f"label {value!r}" if target == value else f"label {value!r} (mapped to {target!r})"
    return Problem(src, lines[0], None, f"{what} is not a netra label{more}",
                   f"map it with --label-map {value}=<{'|'.join(schema.span_labels)}>, "
                   f"or drop it with --label-map {value}=O")


def conll_lines(doc: Doc, *, problems: list[Problem] | None = None, path: str = "") -> list[str]:
    """A document as CoNLL lines: `-DOCSTART-<TAB>id`, then one sentence per line of text.

    Words are `netra.words.tokenize` units tagged by `netra.bio.spans_to_bio`. Spans whose edges
    are not word edges come out as the whole words they touch, and spans across a line break
    as two spans; both are reported in `problems`.
    """
    words = tokenize(doc.text)
    tags = spans_to_bio(words, doc.spans)
    if problems is not None:
        for s in misaligned_spans(words, doc.spans):
            problems.append(Problem(path, None, doc.id,
                f"span [{s.start}, {s.end}) {s.label} {s.text_of(doc.text)!r} does not start and end on word edges; "
                "CoNLL carries the whole words it touches", "align the span with words (netra.words)", "warning"))
        for s in doc.spans:
            if "\n" in s.text_of(doc.text):
                problems.append(Problem(path, None, doc.id,
                    f"span [{s.start}, {s.end}) {s.label} crosses a line break; CoNLL splits it in two",
                    "spans should not cross lines", "warning"))
    out = [f"{_DOCSTART}\t{doc.id}", ""]
    for i, (w, tag) in enumerate(zip(words, tags, strict=True)):
        if i and "\n" in doc.text[words[i - 1].end : w.start]:
            out.append("")
        out.append(f"{w.text}\t{tag}")
    if words:
        out.append("")
    return out


def write_conll(docs: Sequence[Doc], path: str | os.PathLike, *, problems: list[Problem] | None = None) -> None:
    lines = [line for d in docs for line in conll_lines(d, problems=problems, path=str(path))]
    atomic_write_text(path, "".join(line + "\n" for line in lines))


# ----------------------------------------------------------------------------------------------
# brat standoff: a folder with ID.txt and ID.ann per document


def read_brat(
    path: str | os.PathLike,
    *,
    label_map: dict[str, str] | None = None,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
) -> list[Doc]:
    """Read a folder of brat `ID.txt` + `ID.ann` files (text with universal newlines, as brat does).

    `T` lines become spans, `R` lines relations (`Arg1` head, `Arg2` tail) and the note
    `#N<TAB>ArticleTypes DOC<TAB>type type` the article types. Other annotation lines are
    ignored with a warning.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InvalidData([Problem(str(folder), None, None, "not a folder",
                                   "brat data is a folder of ID.txt and ID.ann files")])
    found: list[Problem] = []
    drafts: list[_Draft] = []
    ignored: Counter[str] = Counter()
    texts = sorted(folder.glob("*.txt"))
    for ann in sorted(folder.glob("*.ann")):
        if not ann.with_suffix(".txt").exists():
            found.append(Problem(str(ann), None, None, "no matching .txt file", f"add {ann.stem}.txt with the text"))
    if not texts and not found:
        found.append(Problem(str(folder), None, None, "no .txt files", "brat data is ID.txt and ID.ann per document"))
    for txt in texts:
        try:
            text = _read_text(txt)
        except InvalidData as exc:
            found += exc.problems
            continue
        ann = txt.with_suffix(".ann")
        draft = _Draft(Doc(txt.stem, text), str(ann))
        if ann.exists():
            _parse_ann(ann, draft, ignored)
        else:
            draft.problems.append(Problem(str(ann), None, txt.stem, "missing: the document has no annotations",
                                          "create an empty .ann file to silence this", "warning"))
        drafts.append(draft)
    for kind, n in sorted(ignored.items()):
        found.append(Problem(str(folder), None, None, f"ignored {n} brat line(s) starting with {kind!r}",
                             "netra reads T, R and the ArticleTypes note", "warning"))
    return _finish(drafts, found, source=str(folder), schema=schema or load_schema(), label_map=label_map,
                   problems=problems, skip_invalid=skip_invalid)


def _brat_text(text: str) -> str:
    # An .ann line cannot hold a line break or a tab; brat's own span text shows them as spaces.
    return re.sub(r"[\t\n\r]", " ", text)


def _parse_ann(ann: Path, draft: _Draft, ignored: Counter[str]) -> None:
    doc = draft.doc
    src = str(ann)
    index: dict[str, int] = {}
    links: list[tuple[int, str, str, str]] = []

    def error(lineno: int, message: str, fix: str) -> None:
        draft.problems.append(Problem(src, lineno, doc.id, message, fix))

    for lineno, line in _read_lines(ann):
        if isinstance(line, Problem):
            draft.problems.append(replace(line, doc_id=doc.id))
            continue
        if not line.strip():
            continue
        ann_id, sep, rest = line.partition("\t")
        data, _, tail = rest.partition("\t")
        if not sep:
            error(lineno, "not a brat annotation line", "lines look like 'T1<TAB>PER 0 5<TAB>Benni'")
        elif ann_id.startswith("T"):
            label, _, offsets = data.partition(" ")
            try:
                start, end = (int(x) for x in offsets.split())
            except ValueError:
                fix = ("netra spans are continuous; split the annotation" if ";" in offsets
                       else "write 'T1<TAB>LABEL START END<TAB>TEXT'")
                error(lineno, f"cannot read offsets {offsets!r}", fix)
                continue
            bad = _mismatch(src, lineno, doc.id, ann_id, tail, _brat_text(doc.text), start, end)
            if bad:
                draft.problems.append(bad)
            index[ann_id] = len(doc.spans)
            doc.spans.append(Span(start, end, label))
        elif ann_id.startswith("R"):
            m = re.fullmatch(r"(\S+) Arg1:(\S+) Arg2:(\S+)", data.strip())
            if not m:
                error(lineno, f"cannot read relation {data!r}", "write 'R1<TAB>HOLDS Arg1:T1 Arg2:T2'")
                continue
            links.append((lineno, *m.groups()))
        elif ann_id.startswith("#") and data.split()[:1] == [BRAT_TYPES_NOTE]:
            doc.types = tail.split()
        else:
            ignored[ann_id[:1]] += 1
    for lineno, label, head, tail in links:
        if head not in index or tail not in index:
            error(lineno, f"relation {label} {head} -> {tail} names an undefined T annotation",
                  "point Arg1 and Arg2 at T lines of this file")
            continue
        doc.relations.append(Relation(index[head], index[tail], label))


def brat_ann(doc: Doc) -> str:
    """The .ann text of a document: T lines, then R lines, then the ArticleTypes note (when typed)."""
    lines = [f"T{i + 1}\t{s.label} {s.start} {s.end}\t{_brat_text(s.text_of(doc.text))}"
             for i, s in enumerate(doc.spans)]
    lines += [f"R{k + 1}\t{r.label} Arg1:T{r.head + 1} Arg2:T{r.tail + 1}\t" for k, r in enumerate(doc.relations)]
    if doc.types is not None:
        lines.append(f"#1\t{BRAT_TYPES_NOTE} DOC\t{' '.join(doc.types)}")
    return "".join(line + "\n" for line in lines)


def write_brat(docs: Sequence[Doc], path: str | os.PathLike, *, problems: list[Problem] | None = None) -> None:
    folder = Path(path)
    unsafe = [d.id for d in docs if d.id.startswith(".") or re.search(r"[/\\\x00-\x1f]", d.id)]
    if unsafe:
        raise InvalidData([Problem(str(folder), None, i, "the id cannot be a file name",
                                   "brat names files after ids; rename the document") for i in unsafe])
    for d in docs:
        if "\r" in d.text and problems is not None:
            problems.append(Problem(str(folder), None, d.id, "text contains carriage returns, which brat reads "
                                    "as line feeds: offsets after a CRLF will not match", "normalise line endings",
                                    "warning"))
        atomic_write_text(folder / f"{d.id}.txt", d.text)
        atomic_write_text(folder / f"{d.id}.ann", brat_ann(d))


# ----------------------------------------------------------------------------------------------
# One entry point per direction


def read_netra(
    path: str | os.PathLike,
    *,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
) -> list[Doc]:
    docs, found = validate_file(path, schema=schema)
    errors = [p for p in found if p.severity == "error"]
    if problems is not None:
        problems += [p for p in found if skip_invalid or p.severity != "error"]
    if errors and not skip_invalid:
        raise InvalidData(errors)
    return docs


_READERS: dict[str, Callable[..., list[Doc]]] = {
    "netra": read_netra,
    "doccano": read_doccano,
    "labelstudio": read_labelstudio,
    "conll": read_conll,
    "brat": read_brat,
}


def read_as(
    path: str | os.PathLike,
    fmt: str,
    *,
    label_map: dict[str, str] | None = None,
    schema: Schema | None = None,
    problems: list[Problem] | None = None,
    skip_invalid: bool = False,
    **opts: Any,
) -> list[Doc]:
    """Read `path` in format `fmt` (one of FORMATS) as validated netra documents.

    Raises InvalidData listing every error, unless `skip_invalid` keeps the valid documents.
    Warnings (and, with `skip_invalid`, errors) are appended to `problems`. `opts` go to the
    format's reader (CoNLL: `column`, `token_column`).

    Example::

        problems = []
        docs = read_as("train.txt", "conll", label_map={"PERSON": "PER"}, problems=problems)
    """
    if fmt not in _READERS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    if fmt == "netra" and label_map:
        raise ValueError("--label-map applies when importing from another format, not from netra")
    kwargs: dict[str, Any] = dict(schema=schema, problems=problems, skip_invalid=skip_invalid, **opts)
    if fmt != "netra":
        kwargs["label_map"] = label_map
    return _READERS[fmt](path, **kwargs)


def write_as(docs: Sequence[Doc], path: str | os.PathLike, fmt: str, *,
             problems: list[Problem] | None = None) -> int:
    """Write `docs` to `path` in format `fmt`, atomically per file; returns the number written.

    What the format cannot carry (types, relations, scores, meta) is reported in `problems`, one
    warning per kind of information lost.

    Example::

        write_as(read_as("seeds/gold.jsonl", "netra"), "gold_brat", "brat")
    """
    if fmt not in _READERS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    if problems is not None:
        for feature, has in _FEATURES.items():
            n = sum(1 for d in docs if has(d))
            if n and feature not in _CARRIES[fmt]:
                problems.append(Problem(str(path), None, None, f"{fmt} does not carry {feature}: "
                                        f"left out for {n} document(s)", "see data/FORMAT.md", "warning"))
    if fmt == "netra":
        write_docs(path, docs)
    elif fmt == "doccano":
        write_doccano(docs, path)
    elif fmt == "labelstudio":
        write_labelstudio(docs, path)
    elif fmt == "conll":
        write_conll(docs, path, problems=problems)
    else:
        write_brat(docs, path, problems=problems)
    return len(docs)


# ----------------------------------------------------------------------------------------------
# netra convert


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", help="input file (a folder for brat)")
    p.add_argument("output", metavar="OUT", help="output file (a folder for brat)")
    p.add_argument("--from", dest="src", required=True, choices=FORMATS, help="format of IN")
    p.add_argument("--to", dest="dst", required=True, choices=FORMATS, help="format of OUT")
    p.add_argument("--label-map", metavar="SRC=DST,...", help="rename source labels on import: SRC=DST,... (DST=O drops SRC)")
    p.add_argument("--column", type=int, metavar="N", help="CoNLL input: tag column, 0-based (default: the last)")
    p.add_argument("--token-column", type=int, metavar="N", help="CoNLL input: token column, 0-based (default: 0)")
    p.add_argument("--labels", metavar="YAML", help="label schema (default: data/labels.yaml)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="write the valid documents and report the invalid ones instead of writing nothing")
    p.add_argument("--overwrite", action="store_true",
                   help="replace OUT if it exists (brat: replace the files of the same name in it)")


def run(args: argparse.Namespace) -> int:
    schema = load_schema(args.labels)
    out = Path(args.output)
    try:
        label_map = parse_label_map(args.label_map, schema=schema) if args.label_map else None
        if out.exists() and not args.overwrite and (not out.is_dir() or any(out.iterdir())):
            raise ValueError(f"{out} exists; pass --overwrite to replace it")
        if out.exists() and out.resolve() == Path(args.input).resolve():
            raise ValueError("IN and OUT are the same path")
        if args.src == "netra" and label_map:
            raise ValueError("--label-map applies when importing from another format")
        if args.src != "conll" and (args.column is not None or args.token_column is not None):
            raise ValueError("--column and --token-column apply to --from conll")
    except ValueError as exc:
        print(f"netra convert: error: {exc}", file=sys.stderr)
        return 2
    opts = {}
    if args.src == "conll":
        opts = {"column": -1 if args.column is None else args.column, "token_column": args.token_column or 0}
    problems: list[Problem] = []
    try:
        docs = read_as(args.input, args.src, label_map=label_map, schema=schema, problems=problems,
                       skip_invalid=args.skip_invalid, **opts)
        n = write_as(docs, out, args.dst, problems=problems)
    except InvalidData as exc:
        for p in problems + exc.problems:
            print(p, file=sys.stderr)
        print(f"FAILED: {len(exc.problems)} error(s); nothing written to {out}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"FAILED: cannot write {exc.filename or out}: {exc.strerror or exc} (check OUT and its folder)",
              file=sys.stderr)
        return 1
    for p in problems:
        print(p, file=sys.stderr)
    skipped = sum(1 for p in problems if p.severity == "error")
    print(f"wrote {n} document(s) to {out} ({args.dst})" + (f"; left out {skipped} error(s)" if skipped else ""))
    return 0
