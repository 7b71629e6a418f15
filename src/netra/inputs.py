"""Reading articles to predict: the one input reader of `netra baseline` and `netra predict`.

Input is a .txt file (one article, its id the file name without suffix), a folder of .txt files
(read in name order), or a netra/doccano JSONL file. `input_records` streams one `InputRecord` per
article: its Doc, or the problems that kept it from being read. Problems are `netra.validate.Problem`
objects, so every command prints the same `FILE[:LINE]: id=ID: what (fix)` line for the same bad
record.

Two levels of checking for JSONL:

- `strict=True` (`netra baseline`): every line is fully validated by `netra.validate.iter_records`
  (spans, labels, types, relations); a line with any error is skipped, warnings are passed on.
- `strict=False` (`netra predict`): only what a prediction needs is checked, a JSON object with a
  non-empty `id` (doccano's integer ids are accepted) and a non-empty `text`, each id used once.
  Gold spans, types etc. are ignored, so a document whose annotations are bad is still predicted.

Example::

    for rec in input_records("articles/"):
        if rec.doc is None:
            print(*rec.problems, sep="\\n")
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from netra.docs import Doc
from netra.schema import Schema
from netra.validate import Problem, iter_records

KINDS = "give a netra .jsonl file, a .txt file or a folder of .txt files"
JSONL_SUFFIXES = (".jsonl", ".json")
# Problems (from netra.validate) that leave nothing to read a document from.
_UNREADABLE = ("not valid UTF-8", "malformed JSON")


class InputError(ValueError):
    """The input path cannot be read at all (missing, wrong kind, empty folder)."""


@dataclass
class InputRecord:
    """One input article: its Doc, or (doc None) the problems that kept it from being read.

    `problems` may also hold warnings next to a Doc (strict JSONL reading only).
    """

    source: str
    line: int | None
    doc: Doc | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """Why the record could not be read, `what (fix)`; several problems joined by "; "."""
        return "; ".join(p.reason for p in self.problems if p.severity == "error")

    @property
    def doc_id(self) -> str | None:
        """The document's id, or the id its problems name (None when it is not known)."""
        if self.doc is not None:
            return self.doc.id
        return next((p.doc_id for p in self.problems if p.doc_id is not None), None)


def _txt_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() == ".txt")


def _read_txt(path: Path) -> InputRecord:
    def failed(message: str, fix: str) -> InputRecord:
        return InputRecord(str(path), None, None, [Problem(str(path), None, path.stem, message, fix)])

    try:
        data = path.read_bytes()
    except OSError as exc:
        return failed(f"cannot open: {exc.strerror}", "check the path")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return failed(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                      "re-save the file as UTF-8, e.g. iconv -f latin1 -t utf-8")
    if not text.strip():
        return failed("file is empty", "remove it or give it the article text")
    return InputRecord(str(path), None, Doc(id=path.stem, text=text, meta={"source": str(path)}))


def _doc_from_object(obj: object) -> tuple[Doc | None, str | None, str, str]:
    """(doc, id, problem, fix): the id, text and meta a prediction needs from one JSON object.

    Spans, types etc. are ignored. Doccano exports use integer ids, so those are accepted and
    turned into strings.
    """
    if not isinstance(obj, dict):
        return None, None, f"expected a JSON object, got {type(obj).__name__}", "write one object per line"
    raw_id = obj.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
    if doc_id is None or not doc_id.strip():
        return None, None, "missing or empty 'id'", "give every document a unique id"
    text = obj.get("text")
    if not isinstance(text, str):
        return None, doc_id, "missing 'text' or not a string", "store the article as one string"
    if not text.strip():
        return None, doc_id, "'text' is empty", "remove the document or supply its text"
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else {}
    return Doc(id=doc_id, text=text, meta=dict(meta)), doc_id, "", ""


def _read_jsonl(path: Path, *, strict: bool, schema: Schema | None) -> Iterator[InputRecord]:
    source = str(path)
    seen: dict[str, int] = {}  # lenient reading: ids of the documents read so far
    for rec in iter_records(path, schema=schema):
        line = rec.line or None  # line 0: the file as a whole (cannot open, empty)
        unreadable = rec.raw is None or any(p.message.startswith(_UNREADABLE) for p in rec.problems)
        if strict or line is None or unreadable:
            yield InputRecord(source, line, rec.doc, rec.problems)
            continue
        if rec.doc is not None:
            doc, doc_id, message, fix = rec.doc, rec.doc.id, "", ""
        else:  # invalid as a gold document (bad spans, unknown labels, ...) is fine for prediction
            doc, doc_id, message, fix = _doc_from_object(json.loads(rec.raw))
        if doc is not None and doc.id in seen:
            message = f"duplicate id (first used on line {seen[doc.id]})"
            doc, fix = None, "give every document a unique id"
        if doc is None:
            yield InputRecord(source, line, None, [Problem(source, line, doc_id, message, fix)])
            continue
        seen[doc.id] = rec.line
        yield InputRecord(source, line, doc)


def input_records(
    path: str | os.PathLike, *, strict: bool = False, schema: Schema | None = None
) -> Iterator[InputRecord]:
    """Read articles lazily from a .txt file, a folder of .txt files, or a JSONL file.

    The path itself is checked at once; the records are then read one at a time. `strict`
    validates JSONL records fully against `schema` (default: data/labels.yaml) instead of checking
    only their id and text (see the module docstring).

    Raises:
        InputError: the path does not exist, is of an unknown kind, or is a folder without .txt files.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder ({KINDS})")
    if p.is_dir():
        files = _txt_files(p)
        if not files:
            raise InputError(f"{p}: the folder has no .txt files ({KINDS})")
        return (_read_txt(f) for f in files)
    suffix = p.suffix.lower()
    if suffix == ".txt":
        return iter([_read_txt(p)])
    if suffix in JSONL_SUFFIXES:
        return _read_jsonl(p, strict=strict, schema=schema)
    raise InputError(f"{p}: unknown input kind '{p.suffix}' ({KINDS})")


def count_inputs(path: str | os.PathLike) -> int | None:
    """How many records `input_records` will yield at most (for a progress bar), cheaply."""
    p = Path(path)
    if p.is_dir():
        return len(_txt_files(p))
    if p.suffix.lower() in JSONL_SUFFIXES:
        with open(p, "rb") as f:
            return sum(1 for line in f if line.strip())
    return 1
