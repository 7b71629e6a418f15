"""Tokenising whole articles and cutting them into model windows: shared by training and prediction.

An article is tokenised once, without special tokens or truncation, into an `Encoding` that keeps
each subtoken's character offsets and the tokenizer word it belongs to. Word boundaries are the
fast tokenizer's pre-tokenizer words (whitespace and punctuation splits), so every subtoken belongs
to exactly one word and span offsets map back to characters exactly.

Labels live on the FIRST subtoken of each word (the others are ignored in training and in
prediction), long articles are read through overlapping windows (`split_windows`), and each
token's prediction is taken from the window where it sits most centrally (`merge_windows`).
All functions here are pure.

Example::

    tok = AutoTokenizer.from_pretrained("data/tokenizers/indobert-base-p1")
    enc = encode_text(doc.text, tok)
    ids = subtoken_label_ids(enc, word_tags(enc, doc.spans), label2id)
    windows = split_windows(len(enc), max_tokens=510, stride=128)
    batch = build_window_inputs(enc, windows, tok, labels=ids)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from netra.bio import bio_to_spans, spans_to_bio
from netra.docs import Span

IGNORE_INDEX = -100  # the label value torch's cross-entropy skips


class Offset(NamedTuple):
    """A character range [start, end); also usable where netra.bio expects `.start`/`.end`."""

    start: int
    end: int


@dataclass(frozen=True)
class Encoding:
    """One document tokenised once, with no special tokens and no truncation.

    Attributes:
        input_ids: subtoken ids.
        offsets: character range of each subtoken in the original text.
        word_ids: index into `words` of each subtoken (non-decreasing).
        words: character range of each tokenizer word (first subtoken's start, last one's end).
    """

    input_ids: list[int]
    offsets: list[Offset]
    word_ids: list[int]
    words: list[Offset]

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def first_subtokens(self) -> list[int]:
        """Index of the first subtoken of each word."""
        firsts: list[int] = []
        prev = -1
        for i, w in enumerate(self.word_ids):
            if w != prev:
                firsts.append(i)
                prev = w
        return firsts


class TokenizerError(ValueError):
    """The tokenizer cannot be used for offset-exact tagging."""


def _check_fast(tokenizer: Any) -> None:
    if not getattr(tokenizer, "is_fast", False):
        name = getattr(tokenizer, "name_or_path", None) or type(tokenizer).__name__
        raise TokenizerError(
            f"tokenizer {name} has no offset mapping; use a fast tokenizer "
            "(tokenizer.json or AutoTokenizer with use_fast=True)"
        )


def encode_texts(texts: Sequence[str], tokenizer: Any) -> list[Encoding]:
    """Tokenise several documents at once (the fast tokenizer works on the batch in parallel).

    Args:
        texts: document texts.
        tokenizer: a Hugging Face *fast* tokenizer.

    Returns:
        One `Encoding` per text, in order.

    Raises:
        TokenizerError: the tokenizer has no offset mapping.
    """
    _check_fast(tokenizer)
    if not texts:
        return []
    batch = tokenizer(
        list(texts),
        add_special_tokens=False,
        truncation=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,  # whole articles are longer than model_max_length on purpose
    )
    out = []
    for i in range(len(texts)):
        ids = list(batch["input_ids"][i])
        offsets = [Offset(int(s), int(e)) for s, e in batch["offset_mapping"][i]]
        raw_word_ids = batch.word_ids(i)
        # Renumber densely: a pre-tokenizer word that yields no subtoken (e.g. a lone control
        # character) would otherwise leave a gap.
        word_ids: list[int] = []
        words: list[Offset] = []
        prev = None
        for j, w in enumerate(raw_word_ids):
            if w is None or w != prev:
                words.append(offsets[j])
                prev = w
            else:
                words[-1] = Offset(words[-1].start, offsets[j].end)
            word_ids.append(len(words) - 1)
        out.append(Encoding(ids, offsets, word_ids, words))
    return out


def encode_text(text: str, tokenizer: Any) -> Encoding:
    """Tokenise one whole document (no special tokens, no truncation).

    Example::

        enc = encode_text("Pj Bupati Purwakarta, Benni Irwan", tok)
        enc.words[0]  # Offset(start=0, end=2)
    """
    return encode_texts([text], tokenizer)[0]


def word_tags(encoding: Encoding, spans: Sequence[Span]) -> list[str]:
    """BIO tag per tokenizer word for gold character spans (via netra.bio.spans_to_bio)."""
    return spans_to_bio(encoding.words, spans)


def subtoken_label_ids(encoding: Encoding, tags: Sequence[str], label2id: Mapping[str, int]) -> list[int]:
    """Per-subtoken label ids: each word's tag on its first subtoken, IGNORE_INDEX on the rest.

    Raises:
        ValueError: the number of tags differs from the number of words, or a tag is not in
            `label2id` (the model was built for other labels).
    """
    if len(tags) != len(encoding.words):
        raise ValueError(f"{len(tags)} tags for {len(encoding.words)} words")
    unknown = sorted(set(tags) - set(label2id))
    if unknown:
        raise ValueError(
            f"tags {unknown} are not among the model's labels {sorted(label2id)}; "
            "train with a schema that includes them or map them away"
        )
    ids = [IGNORE_INDEX] * len(encoding)
    for word, i in enumerate(encoding.first_subtokens):
        ids[i] = label2id[tags[word]]
    return ids


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def word_predictions(
    encoding: Encoding, logits: np.ndarray, id2label: Mapping[int, str] | Sequence[str]
) -> tuple[list[str], list[float]]:
    """Per-word tag and probability, read from each word's first subtoken.

    Args:
        encoding: the document.
        logits: (n_subtokens, n_labels) merged logits for the document.
        id2label: label per class index.

    Returns:
        (tags, scores), one per word; a score is the softmax probability of the chosen tag.
    """
    logits = np.asarray(logits, dtype=np.float32)
    if logits.shape[0] != len(encoding):
        raise ValueError(f"{logits.shape[0]} rows of logits for {len(encoding)} subtokens")
    if not encoding.words:
        return [], []
    probs = _softmax(logits[encoding.first_subtokens])
    best = probs.argmax(axis=-1)
    tags = [id2label[int(k)] for k in best]
    scores = probs[np.arange(len(best)), best].tolist()
    return tags, scores


def logits_to_spans(
    encoding: Encoding, logits: np.ndarray, id2label: Mapping[int, str] | Sequence[str]
) -> list[Span]:
    """Character spans (with mean word probability as score) from a document's merged logits."""
    tags, scores = word_predictions(encoding, logits, id2label)
    return bio_to_spans(encoding.words, tags, scores=scores)


def split_windows(n_tokens: int, *, max_tokens: int, stride: int) -> list[tuple[int, int]]:
    """Cut a sequence of `n_tokens` subtokens into overlapping windows [start, end).

    Follows the Hugging Face convention, so the windows are exactly those of a fast tokenizer with
    `return_overflowing_tokens=True, stride=stride`: each window holds up to `max_tokens`
    subtokens (special tokens not counted), consecutive windows share `stride` subtokens, and the
    last window may be shorter. A window may start inside a word; that costs nothing, because a
    word's label is read from its first subtoken, which the previous window also contains.

    A document with no subtokens still gets one empty window, so that it can be classified.

    Example::

        split_windows(10, max_tokens=4, stride=1)  # [(0, 4), (3, 7), (6, 10)]
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if not 0 <= stride < max_tokens:
        raise ValueError(f"stride must be in [0, max_tokens), got stride={stride}, max_tokens={max_tokens}")
    if n_tokens <= max_tokens:
        return [(0, n_tokens)]
    step = max_tokens - stride
    windows = []
    start = 0
    while True:
        end = min(start + max_tokens, n_tokens)
        windows.append((start, end))
        if end == n_tokens:
            return windows
        start += step


def merge_windows(
    windows: Sequence[tuple[int, int]], per_window_logits: Sequence[Any], n_tokens: int
) -> np.ndarray:
    """Per-token logits for the whole document from overlapping windows.

    Each token takes its row from the window where it sits most centrally, i.e. where its distance
    to the nearest window edge is largest (it saw the most context on its worse side). Ties go to
    the earlier window.

    Args:
        windows: [start, end) per window, as from `split_windows`.
        per_window_logits: (end - start, n_labels) logits per window, special tokens removed.
        n_tokens: length of the document in subtokens.

    Returns:
        (n_tokens, n_labels) float32 array.
    """
    if len(windows) != len(per_window_logits):
        raise ValueError(f"{len(windows)} windows but {len(per_window_logits)} logit blocks")
    n_labels = None
    out: np.ndarray | None = None
    best = np.full(n_tokens, -1, dtype=np.int64)
    for (start, end), block in zip(windows, per_window_logits, strict=True):
        block = np.asarray(block, dtype=np.float32)
        if block.shape[0] != end - start:
            raise ValueError(f"window [{start}, {end}) has {block.shape[0]} rows of logits")
        if out is None:
            n_labels = block.shape[-1]
            out = np.zeros((n_tokens, n_labels), dtype=np.float32)
        pos = np.arange(start, end)
        centrality = np.minimum(pos - start, end - 1 - pos)
        take = centrality > best[start:end]
        out[start:end][take] = block[take]
        best[start:end] = np.where(take, centrality, best[start:end])
    if out is None:
        raise ValueError("no windows to merge")
    if n_tokens and (best < 0).any():
        missing = int(np.flatnonzero(best < 0)[0])
        raise ValueError(f"token {missing} is in no window; windows must cover the document")
    return out


def build_window_inputs(
    encoding: Encoding,
    windows: Sequence[tuple[int, int]],
    tokenizer: Any,
    *,
    labels: Sequence[int] | None = None,
) -> list[dict[str, list[int]]]:
    """Model inputs per window: [CLS] window [SEP], unpadded (a collator pads them).

    Args:
        encoding: the document.
        windows: [start, end) per window.
        tokenizer: supplies the [CLS]/[SEP] ids and whether the model takes token_type_ids.
        labels: per-subtoken label ids (from `subtoken_label_ids`); special tokens get IGNORE_INDEX.

    Returns:
        One dict per window with input_ids, attention_mask, token_type_ids (when the tokenizer
        produces them) and labels (when given).
    """
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    if cls_id is None or sep_id is None:
        raise TokenizerError(
            f"tokenizer {getattr(tokenizer, 'name_or_path', '')} has no [CLS]/[SEP] tokens; "
            "netra windows expect a BERT-style encoder"
        )
    with_types = "token_type_ids" in getattr(tokenizer, "model_input_names", ())
    out = []
    for start, end in windows:
        ids = [cls_id, *encoding.input_ids[start:end], sep_id]
        item = {"input_ids": ids, "attention_mask": [1] * len(ids)}
        if with_types:
            item["token_type_ids"] = [0] * len(ids)
        if labels is not None:
            item["labels"] = [IGNORE_INDEX, *labels[start:end], IGNORE_INDEX]
        out.append(item)
    return out


def pool_logits(chunk_logits: Any, how: str = "mean") -> Any:
    """Pool a document's per-chunk classifier logits (n_chunks, n_labels) into one row.

    Works on numpy arrays and torch tensors alike (training pools tensors, so gradients flow).

    Args:
        chunk_logits: logits of each chunk of one article.
        how: "mean" (default) or "max".
    """
    if how not in ("mean", "max"):
        raise ValueError(f"pooling must be 'mean' or 'max', got {how!r}")
    if isinstance(chunk_logits, (list, tuple)):
        chunk_logits = np.asarray(chunk_logits, dtype=np.float32)
    if isinstance(chunk_logits, np.ndarray):
        return chunk_logits.mean(axis=0) if how == "mean" else chunk_logits.max(axis=0)
    return chunk_logits.mean(dim=0) if how == "mean" else chunk_logits.amax(dim=0)
