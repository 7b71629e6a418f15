"""The label schema: span labels, relation labels and article types, read from data/labels.yaml.

data/labels.yaml is the single source of truth. A checkout (or editable install) reads it from the
repository; a built wheel carries a copy inside the package.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_REPO_LABELS = Path(__file__).resolve().parents[2] / "data" / "labels.yaml"
_PACKAGED_LABELS = Path(__file__).resolve().parent / "labels.yaml"


@dataclass(frozen=True)
class RelationSpec:
    name: str
    head: str
    tail: str
    description: str = ""


@dataclass(frozen=True)
class Schema:
    """Labels known to netra.

    Example::

        schema = load_schema()
        schema.span_labels  # ('PER', 'ROLE', 'ORG', 'LOC', 'DATE', 'EVENT', 'LAW')
        schema.bio_tags()   # ['O', 'B-PER', 'I-PER', ...]
    """

    span_labels: tuple[str, ...]
    article_types: tuple[str, ...]
    relations: dict[str, RelationSpec]
    colors: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    path: str = ""

    def bio_tags(self, labels: tuple[str, ...] | list[str] | None = None) -> list[str]:
        """BIO tag inventory: "O" first, then B-/I- per label in schema order."""
        tags = ["O"]
        for label in labels or self.span_labels:
            tags += [f"B-{label}", f"I-{label}"]
        return tags

    def to_dict(self) -> dict:
        return {
            "span_labels": list(self.span_labels),
            "article_types": list(self.article_types),
            "relations": {
                name: {"head": r.head, "tail": r.tail} for name, r in self.relations.items()
            },
        }


class SchemaError(ValueError):
    pass


def default_schema_path() -> Path:
    env = os.environ.get("NETRA_LABELS")
    if env:
        return Path(env)
    return _REPO_LABELS if _REPO_LABELS.exists() else _PACKAGED_LABELS


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Schema:
    p = Path(path)
    if not p.exists():
        raise SchemaError(f"{p}: label schema not found (set NETRA_LABELS or reinstall netra)")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SchemaError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise SchemaError(f"{p}: expected a mapping at the top level")
    for key in ("span_labels", "article_types", "relation_labels"):
        if not isinstance(raw.get(key), dict) or not raw[key]:
            raise SchemaError(f"{p}: '{key}' must be a non-empty mapping")
    spans = tuple(raw["span_labels"])
    relations = {}
    for name, spec in raw["relation_labels"].items():
        if spec.get("head") not in spans or spec.get("tail") not in spans:
            raise SchemaError(f"{p}: relation {name}: head and tail must be span labels")
        relations[name] = RelationSpec(name, spec["head"], spec["tail"], spec.get("description", ""))
    colors = {k: (v or {}).get("color", "#dddddd") for k, v in raw["span_labels"].items()}
    descriptions = {
        k: ((v or {}).get("description") or "").strip()
        for section in ("span_labels", "article_types")
        for k, v in raw[section].items()
    }
    return Schema(
        span_labels=spans,
        article_types=tuple(raw["article_types"]),
        relations=relations,
        colors=colors,
        descriptions=descriptions,
        path=str(p),
    )


def load_schema(path: str | os.PathLike | None = None) -> Schema:
    """Load the label schema from `path`, or from data/labels.yaml by default."""
    return _load(str(Path(path) if path else default_schema_path()))
