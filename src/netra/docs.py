"""The netra document: one article with its spans, types and relations (data/FORMAT.md).

`Doc` is the in-memory form of one JSONL line. Reading goes through `netra.validate.read_docs`,
which checks every line; writing goes through `write_docs`, which replaces the target atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range `text[start:end]` (end exclusive, code-point offsets)."""

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def text_of(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Relation:
    """A directed relation between two spans, by index into `Doc.spans`."""

    head: int
    tail: int
    label: str = "HOLDS"
    score: float | None = field(default=None, compare=False)


@dataclass
class Doc:
    """One article.

    `types` is None when the document carries no article-type annotation at all (imported NER
    corpora); an annotated article has at least one type. `type_scores` holds a model's
    per-type probabilities.
    """

    id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    types: list[str] | None = None
    relations: list[Relation] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    type_scores: dict[str, float] | None = None

    @property
    def annotated_labels(self) -> list[str] | None:
        """Span labels this document was annotated for; None means every label in the schema."""
        labels = self.meta.get("annotated_labels")
        return list(labels) if labels is not None else None

    def to_dict(self, *, with_span_text: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.types is not None:
            out["types"] = list(self.types)
        if self.type_scores is not None:
            out["type_scores"] = {k: round(float(v), 6) for k, v in self.type_scores.items()}
        spans = []
        for s in self.spans:
            d: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
            if with_span_text:
                d["text"] = s.text_of(self.text)
            if s.score is not None:
                d["score"] = round(float(s.score), 6)
            spans.append(d)
        out["spans"] = spans
        rels = []
        for r in self.relations:
            d = {"head": r.head, "tail": r.tail, "label": r.label}
            if r.score is not None:
                d["score"] = round(float(r.score), 6)
            rels.append(d)
        out["relations"] = rels
        out["meta"] = dict(self.meta)
        return out

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(**kwargs), ensure_ascii=False)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> Doc:
        """Build a Doc from an already validated JSON object (see netra.validate)."""
        spans = [
            Span(int(s["start"]), int(s["end"]), str(s["label"]), s.get("score"))
            for s in obj.get("spans") or []
        ]
        relations = [
            Relation(int(r["head"]), int(r["tail"]), str(r.get("label", "HOLDS")), r.get("score"))
            for r in obj.get("relations") or []
        ]
        types = obj.get("types")
        return cls(
            id=str(obj["id"]),
            text=obj["text"],
            spans=spans,
            types=list(types) if types is not None else None,
            relations=relations,
            meta=dict(obj.get("meta") or {}),
            type_scores=obj.get("type_scores"),
        )

    def sorted(self) -> Doc:
        """A copy with spans sorted by offset and relation indices remapped."""
        order = sorted(range(len(self.spans)), key=lambda i: (self.spans[i].start, self.spans[i].end))
        new_index = {old: new for new, old in enumerate(order)}
        return Doc(
            id=self.id,
            text=self.text,
            spans=[self.spans[i] for i in order],
            types=list(self.types) if self.types is not None else None,
            relations=[
                Relation(new_index[r.head], new_index[r.tail], r.label, r.score) for r in self.relations
            ],
            meta=dict(self.meta),
            type_scores=dict(self.type_scores) if self.type_scores is not None else None,
        )


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates files readable by the owner only; give the result the usual umask mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_docs(path: str | os.PathLike, docs: Iterable[Doc], *, with_span_text: bool = True) -> int:
    """Write docs as netra JSONL, atomically. Returns the number written."""
    lines = [d.to_json(with_span_text=with_span_text) for d in docs]
    atomic_write_text(path, "".join(line + "\n" for line in lines))
    return len(lines)
