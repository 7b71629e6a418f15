"""Character spans <-> BIO (IOB2) tags over a sequence of words with offsets.

These are pure functions: the CoNLL converter, training (word labels) and evaluation (seqeval) all
use them, so a span survives every path the same way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Protocol

from netra.docs import Span


class HasOffsets(Protocol):
    start: int
    end: int


def spans_to_bio(words: Sequence[HasOffsets], spans: Sequence[Span]) -> list[str]:
    """Tag each word B-X/I-X/O. A word belongs to a span when it lies inside it.

    A word that only partly overlaps a span is tagged with it as well, so that a span whose edge
    falls inside a word still leaves a trace; `misaligned_spans` finds those spans.
    """
    tags = ["O"] * len(words)
    ends = [w.end for w in words]  # words are in text order, so their ends are sorted
    for span in sorted(spans):
        first = True
        # the first word that ends after the span starts is the first one it can touch
        for i in range(bisect_right(ends, span.start), len(words)):
            if words[i].start >= span.end:
                break
            if tags[i] != "O":
                continue  # flat spans: the first span to claim a word keeps it
            tags[i] = ("B-" if first else "I-") + span.label
            first = False
    return tags


def misaligned_spans(words: Sequence[HasOffsets], spans: Sequence[Span]) -> list[Span]:
    """Spans whose start or end does not coincide with a word edge."""
    starts = {w.start for w in words}
    ends = {w.end for w in words}
    return [s for s in spans if s.start not in starts or s.end not in ends]


def bio_to_spans(
    words: Sequence[HasOffsets], tags: Sequence[str], *, scores: Sequence[float] | None = None
) -> list[Span]:
    """Turn BIO tags back into character spans (from the first word's start to the last word's end).

    Lenient like conlleval: an I-X that does not continue an X span starts a new one. When
    `scores` is given (one per word), a span's score is the mean over its words.
    """
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    spans: list[Span] = []
    cur_label: str | None = None
    cur_start = cur_end = 0
    cur_scores: list[float] = []

    def close() -> None:
        if cur_label is not None:
            score = sum(cur_scores) / len(cur_scores) if cur_scores else None
            spans.append(Span(cur_start, cur_end, cur_label, score))

    for i, (w, tag) in enumerate(zip(words, tags, strict=True)):
        if tag == "O" or not tag:
            close()
            cur_label = None
            continue
        prefix, _, label = tag.partition("-")
        if prefix not in ("B", "I") or not label:
            raise ValueError(f"not a BIO tag: {tag!r}")
        if prefix == "I" and cur_label == label:
            cur_end = w.end
        else:
            close()
            cur_label, cur_start, cur_end, cur_scores = label, w.start, w.end, []
        if scores is not None:
            cur_scores.append(float(scores[i]))
    close()
    return spans
