"""Validation of netra JSONL: every reader in netra goes through `iter_records` or `read_docs`.

Each problem is reported as one line, `FILE:LINE: id=ID: what is wrong (how to fix)`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from netra.docs import Doc
from netra.schema import Schema, load_schema

_ID_GUESS = re.compile(r'"id"\s*:\s*"([^"\\]{1,200})"')
KNOWN_KEYS = {"id", "text", "types", "type_scores", "spans", "relations", "meta"}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    doc_id: str | None
    message: str
    fix: str = ""
    severity: str = "error"  # "error" or "warning"

    @property
    def reason(self) -> str:
        """The problem without its place: `[warning: ]what is wrong (how to fix)`."""
        level = "warning: " if self.severity == "warning" else ""
        fix = f" ({self.fix})" if self.fix else ""
        return f"{level}{self.message}{fix}"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        who = f" id={self.doc_id}:" if self.doc_id is not None else ""
        return f"{where}:{who} {self.reason}"


class InvalidData(ValueError):
    """Raised when input fails validation; `problems` holds every error found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Record:
    """One non-blank line of a JSONL file: the document if it is valid, and its problems."""

    line: int
    doc: Doc | None
    problems: list[Problem] = field(default_factory=list)
    raw: str | None = None

    @property
    def ok(self) -> bool:
        return self.doc is not None


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def check_object(obj: Any, *, schema: Schema) -> list[tuple[str, str, str]]:
    """Check one parsed JSON object against the format and schema.

    Returns (severity, message, fix) triples; an empty list means the object is a valid document.
    """
    out: list[tuple[str, str, str]] = []

    def err(msg: str, fix: str) -> None:
        out.append(("error", msg, fix))

    def warn(msg: str, fix: str) -> None:
        out.append(("warning", msg, fix))

    if not isinstance(obj, dict):
        err(f"expected a JSON object, got {type(obj).__name__}", "write one object per line")
        return out
    for key in sorted(set(obj) - KNOWN_KEYS):
        warn(f"unknown key '{key}' is ignored", f"move it into 'meta' or remove it; known: {sorted(KNOWN_KEYS)}")
    if "id" not in obj:
        err("missing required field 'id'", "give every document a unique string id")
    elif not isinstance(obj["id"], str) or not obj["id"].strip():
        err(f"'id' must be a non-empty string, got {obj['id']!r}", "quote the id")
    text = obj.get("text")
    if "text" not in obj:
        err("missing required field 'text'", "add the article text")
        return out
    if not isinstance(text, str):
        err(f"'text' must be a string, got {type(text).__name__}", "store the article as one string")
        return out
    if not text.strip():
        err("'text' is empty", "remove the document or supply its text")

    types = obj.get("types")
    if types is not None:
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            err("'types' must be a list of strings", f"use types from {list(schema.article_types)}")
        else:
            for t in types:
                if t not in schema.article_types:
                    err(f"unknown article type '{t}'", f"use one of {list(schema.article_types)} (data/labels.yaml)")
            if len(set(types)) != len(types):
                err("'types' lists a type twice", "list each type once")
            if not types:
                warn("'types' is empty", "an annotated article has at least one type; use 'other' when none fits")
    scores = obj.get("type_scores")
    if scores is not None:
        if not isinstance(scores, dict) or not all(
            isinstance(k, str) and _is_num(v) and 0.0 <= v <= 1.0 for k, v in scores.items()
        ):
            err("'type_scores' must map article types to probabilities in [0, 1]", "fix the scores")
        else:
            for k in scores:
                if k not in schema.article_types:
                    err(f"unknown article type '{k}' in type_scores", f"use one of {list(schema.article_types)}")

    meta = obj.get("meta", {})
    annotated: list[str] | None = None
    if not isinstance(meta, dict):
        err("'meta' must be an object", "wrap metadata in {}")
    elif "annotated_labels" in meta:
        al = meta["annotated_labels"]
        if not isinstance(al, list) or not all(isinstance(x, str) for x in al):
            err("meta.annotated_labels must be a list of span labels", f"use labels from {list(schema.span_labels)}")
        else:
            annotated = al
            for x in al:
                if x not in schema.span_labels:
                    err(f"unknown label '{x}' in meta.annotated_labels", f"use labels from {list(schema.span_labels)}")

    spans = obj.get("spans", [])
    valid_spans: dict[int, tuple[int, int, str]] = {}
    if not isinstance(spans, list):
        err("'spans' must be a list", "write spans as [{\"start\": 0, \"end\": 4, \"label\": \"PER\"}]")
        spans = []
    n = len(text)
    for i, s in enumerate(spans):
        where = f"span {i}"
        if not isinstance(s, dict):
            err(f"{where} is not an object", "write {\"start\", \"end\", \"label\"}")
            continue
        missing = [k for k in ("start", "end", "label") if k not in s]
        if missing:
            err(f"{where} lacks {', '.join(missing)}", "every span needs start, end and label")
            continue
        start, end, label = s["start"], s["end"], s["label"]
        if not _is_int(start) or not _is_int(end):
            err(f"{where}: start and end must be integers, got {start!r}, {end!r}", "use code-point offsets")
            continue
        if start >= end:
            err(f"{where} has start {start} >= end {end}", "end is exclusive and must be greater than start")
            continue
        if not (0 <= start and end <= n):
            err(
                f"{where} [{start}, {end}) is out of range for a text of length {n}",
                "offsets are Python string indices, 0 <= start < end <= len(text)",
            )
            continue
        if label not in schema.span_labels:
            err(f"{where} [{start}, {end}) has unknown label {label!r}",
                f"use one of {list(schema.span_labels)} or map it with --label-map")
            continue
        if annotated is not None and label not in annotated:
            err(f"{where} has label {label} not in meta.annotated_labels {annotated}",
                "add the label to annotated_labels or drop the span")
        covered = text[start:end]
        if "text" in s and s["text"] != covered:
            err(
                f"{where} text {s['text']!r} differs from text[{start}:{end}] = {covered!r}",
                "the offsets are wrong for this text; fix them at the source, netra does not shift them",
            )
            continue
        if "score" in s and not _is_num(s["score"]):
            err(f"{where}: score must be a number", "use a probability in [0, 1]")
        if covered != covered.strip():
            warn(f"{where} {covered!r} begins or ends with whitespace", "trim the span to the word")
        valid_spans[i] = (start, end, label)
    ordered = sorted(valid_spans.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    for (i, a), (j, b) in zip(ordered, ordered[1:], strict=False):
        if b[0] < a[1]:
            err(
                f"span {i} [{a[0]}, {a[1]}) {a[2]} overlaps span {j} [{b[0]}, {b[1]}) {b[2]}",
                "spans are flat: keep one of them",
            )

    rels = obj.get("relations", [])
    if not isinstance(rels, list):
        err("'relations' must be a list", "write [{\"head\": 0, \"tail\": 1, \"label\": \"HOLDS\"}]")
        rels = []
    for k, r in enumerate(rels):
        where = f"relation {k}"
        if not isinstance(r, dict) or not _is_int(r.get("head")) or not _is_int(r.get("tail")):
            err(f"{where} needs integer 'head' and 'tail'", "they index into 'spans'")
            continue
        label = r.get("label", "HOLDS")
        spec = schema.relations.get(label)
        if spec is None:
            err(f"{where} has unknown label {label!r}", f"use one of {list(schema.relations)}")
            continue
        head, tail = r["head"], r["tail"]
        if not (0 <= head < len(spans)) or not (0 <= tail < len(spans)):
            err(f"{where} points at span {head} -> {tail}, but there are {len(spans)} spans",
                "indices are 0-based positions in 'spans'")
            continue
        if head in valid_spans and tail in valid_spans:
            hl, tl = valid_spans[head][2], valid_spans[tail][2]
            if (hl, tl) != (spec.head, spec.tail):
                err(f"{where} {label} goes {hl} -> {tl}", f"{label} goes from a {spec.head} span to a {spec.tail} span")
    return out


def iter_records(path: str | os.PathLike, *, schema: Schema | None = None) -> Iterator[Record]:
    """Read a netra JSONL file line by line, validating each line.

    Yields a Record for every non-blank line; a record with errors has `doc=None`. Problems that
    concern the whole file (missing, empty) come as a Record with line 0.
    """
    schema = schema or load_schema()
    p = str(path)
    try:
        f = open(path, "rb")
    except OSError as exc:
        yield Record(0, None, [Problem(p, None, None, f"cannot open: {exc.strerror}", "check the path")])
        return
    seen: dict[str, int] = {}
    any_line = False
    with f:
        for lineno, raw in enumerate(f, start=1):
            stripped = raw.rstrip(b"\r\n")
            if not stripped.strip():
                continue
            any_line = True
            try:
                line = stripped.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Record(lineno, None, [Problem(p, lineno, None,
                    f"not valid UTF-8 (byte {exc.start}: {stripped[exc.start:exc.start + 1]!r})",
                    "re-save the file as UTF-8")], raw=stripped.decode("utf-8", "replace"))
                continue
            if lineno == 1 and line.startswith("\ufeff"):
                line = line[1:]
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                guess = _ID_GUESS.search(line)  # name the document even when the line does not parse
                yield Record(lineno, None, [Problem(p, lineno, guess.group(1) if guess else None,
                    f"malformed JSON: {exc.msg} at column {exc.colno}",
                    "each line must be one complete JSON object")], raw=line)
                continue
            doc_id = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
            problems = [Problem(p, lineno, doc_id, m, fix, sev) for sev, m, fix in check_object(obj, schema=schema)]
            if doc_id is not None:
                if doc_id in seen:
                    problems.append(Problem(p, lineno, doc_id, f"duplicate id (first used on line {seen[doc_id]})",
                                            "give every document a unique id"))
                else:
                    seen[doc_id] = lineno
            has_error = any(x.severity == "error" for x in problems)
            yield Record(lineno, None if has_error else Doc.from_dict(obj), problems, raw=line)
    if not any_line:
        yield Record(0, None, [Problem(p, None, None, "file is empty", "give it one JSON document per line")])


def validate_file(path: str | os.PathLike, *, schema: Schema | None = None) -> tuple[list[Doc], list[Problem]]:
    """Validate a whole file. Returns the valid docs and every problem (errors and warnings)."""
    docs: list[Doc] = []
    problems: list[Problem] = []
    for rec in iter_records(path, schema=schema):
        problems += rec.problems
        if rec.doc is not None:
            docs.append(rec.doc)
    return docs, problems


def read_docs(path: str | os.PathLike, *, schema: Schema | None = None) -> list[Doc]:
    """Read a netra JSONL file; raise InvalidData listing every error if any line is invalid."""
    docs, problems = validate_file(path, schema=schema)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidData(errors)
    return docs


def run_validate(paths: list[str], *, schema: Schema | None = None, quiet: bool = False) -> int:
    """The `netra validate` command: print each problem, return 1 if any error, else 0."""
    n_err = n_warn = n_docs = 0
    for path in paths:
        docs, problems = validate_file(path, schema=schema)
        n_docs += len(docs)
        for prob in problems:
            if prob.severity == "error":
                n_err += 1
            else:
                n_warn += 1
            if not quiet or prob.severity == "error":
                print(prob)
    summary = f"{len(paths)} file(s), {n_docs} valid document(s), {n_err} error(s), {n_warn} warning(s)"
    print(summary if n_err == 0 else f"FAILED: {summary}")
    return 1 if n_err else 0


