"""Fixtures shared by several test modules: the schema, the gold seeds, one small hand-built document."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra.docs import Doc, Relation, Span
from netra.schema import Schema, load_schema

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "seeds" / "gold.jsonl"


@pytest.fixture(scope="session")
def schema() -> Schema:
    return load_schema()


@pytest.fixture
def gold_path() -> Path:
    if not GOLD.exists():
        pytest.skip("seeds/gold.jsonl is not written yet")
    return GOLD


@pytest.fixture
def tiny_doc() -> Doc:
    """An article with every kind of annotation: spans, a HOLDS relation, types, meta."""
    text = "Pj Bupati Purwakarta, Benni Irwan, hadir di Hotel Aston, Rabu (11/10/2023).\nPemilu 2024 aman."
    spans = []
    for part, label in [("Pj Bupati Purwakarta", "ROLE"), ("Benni Irwan", "PER"), ("Hotel Aston", "LOC"),
                        ("Rabu (11/10/2023)", "DATE"), ("Pemilu 2024", "EVENT")]:
        start = text.index(part)
        spans.append(Span(start, start + len(part), label))
    return Doc("tiny-1", text, spans, types=["socialization"], relations=[Relation(1, 0)],
               meta={"source": "hand-built"})
