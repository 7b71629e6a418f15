"""One fixed, model-independent word tokenisation of text.

Evaluation scores every model on these units, and the CoNLL exporter writes them. A word is a run
of letters/digits, or a single other non-space character, so "Rabu (11/10/2023)" gives
Rabu ( 11 / 10 / 2023 ) and almost every hand-drawn span edge falls on a word edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str


def tokenize(text: str) -> list[Word]:
    """Split `text` into words with character offsets."""
    return [Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
