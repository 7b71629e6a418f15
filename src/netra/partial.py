"""Partial-annotation loss: learning from sources that annotate only some of the span labels.

A public NER corpus marks PER, ORG and LOC but says nothing about ROLE, DATE, EVENT or LAW; its
"O" on "Bupati" means "not a PER/ORG/LOC", not "not a ROLE". Training on that O with ordinary
cross-entropy would teach the tagger that office titles are never roles. Instead, an O token from
such a source may be any tag it cannot rule out: O itself or a B-/I- tag of a label the source
does not annotate. The loss is the negative log of the probability the model gives that whole
allowed set (the marginal likelihood over the tags the annotation is compatible with):

    loss(token) = -log sum_{t in allowed} softmax(z)_t = logsumexp(z) - logsumexp(z[allowed])

A token with a positive tag, and every token of a fully annotated document (the seeds), has a
single allowed tag, and the loss is exactly the ordinary cross-entropy.

Training stores one small vector per window, `hidden_tags` (which tags an O of this document may
hide), next to the usual `labels`; `label_allowed_mask` expands both to the (tokens, tags) mask at
loss time, so batches need no per-token masks.

Example::

    hidden = hidden_tags(["PER", "ORG", "LOC"], label_list)          # NERGrit-like source
    mask = label_allowed_mask(labels, torch.tensor([hidden]), o_id=label_list.index("O"))
    loss = partial_cross_entropy(logits, mask)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

IGNORE_INDEX = -100  # as torch's cross-entropy and netra.encoding


def _label_of(tag: str) -> str | None:
    return tag[2:] if tag[:2] in ("B-", "I-") else None


def hidden_tags(annotated_labels: Sequence[str] | None, label_list: Sequence[str]) -> list[bool]:
    """Which tags an "O" from a source annotating only `annotated_labels` may really be.

    Args:
        annotated_labels: span labels the source annotates; None means all of them.
        label_list: the model's tags in id order (e.g. ["O", "B-PER", "I-PER", ...]).

    Returns:
        One flag per tag: True for the B-/I- tags of labels the source does not annotate.
        All False for a fully annotated source.

    Example::

        hidden_tags(["PER"], ["O", "B-PER", "I-PER", "B-ROLE", "I-ROLE"])
        # [False, False, False, True, True]
    """
    if annotated_labels is None:
        return [False] * len(label_list)
    known = set(annotated_labels)
    return [(label := _label_of(tag)) is not None and label not in known for tag in label_list]


def allowed_tag_mask(
    tags: Sequence[str | None], annotated_labels: Sequence[str] | None, label_list: Sequence[str]
) -> torch.Tensor:
    """The tags each token may take, given its gold tag and what its source annotates.

    Args:
        tags: gold tag per token; None for a token that takes no part in the loss (a
            continuation subtoken, a special token): its row is all False.
        annotated_labels: span labels the source annotates; None means all of them.
        label_list: the model's tags in id order.

    Returns:
        Bool tensor (n_tokens, n_tags): the gold tag, plus on "O" tokens the hidden tags.

    Raises:
        ValueError: a gold tag is not in `label_list`.
    """
    index = {tag: i for i, tag in enumerate(label_list)}
    hidden = torch.tensor(hidden_tags(annotated_labels, label_list), dtype=torch.bool)
    mask = torch.zeros(len(tags), len(label_list), dtype=torch.bool)
    for row, tag in enumerate(tags):
        if tag is None:
            continue
        if tag not in index:
            raise ValueError(f"tag {tag!r} is not among the model's tags {list(label_list)}")
        if tag == "O":
            mask[row] = hidden
        mask[row, index[tag]] = True
    return mask


def label_allowed_mask(labels: torch.Tensor, hidden: torch.Tensor, *, o_id: int) -> torch.Tensor:
    """Batched `allowed_tag_mask` from label ids: what the training loss uses.

    Args:
        labels: (..., T) gold tag ids, IGNORE_INDEX where no loss is taken.
        hidden: (..., n_tags) per sequence, from `hidden_tags` (all False = fully annotated).
        o_id: the id of "O".

    Returns:
        Bool tensor (..., T, n_tags); ignored positions have no allowed tag.
    """
    n_tags = hidden.shape[-1]
    valid = labels != IGNORE_INDEX
    gold = torch.nn.functional.one_hot(labels.clamp(min=0), n_tags).bool() & valid.unsqueeze(-1)
    is_o = (labels == o_id).unsqueeze(-1)  # (..., T, 1)
    return gold | (is_o & hidden.bool().unsqueeze(-2))


def partial_cross_entropy(
    logits: torch.Tensor, allowed: torch.Tensor, *, ignore: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean negative log-probability of each token's allowed tag set.

    Args:
        logits: (..., n_tags).
        allowed: bool (..., n_tags); a row with one True is ordinary cross-entropy.
        ignore: bool (...) positions to leave out; by default the rows with no allowed tag.

    Returns:
        Scalar loss, averaged over the tokens taken (0 with gradient when there are none, so a
        batch of ignored tokens does not break the backward pass).
    """
    if logits.shape != allowed.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and allowed mask {tuple(allowed.shape)} differ")
    allowed = allowed.bool()
    take = allowed.any(dim=-1) if ignore is None else ~ignore.bool() & allowed.any(dim=-1)
    logits = logits.float()  # logsumexp in bf16 loses the small differences that matter here
    neg_inf = torch.finfo(logits.dtype).min
    per_token = torch.logsumexp(logits, dim=-1) - torch.logsumexp(logits.masked_fill(~allowed, neg_inf), dim=-1)
    per_token = torch.where(take, per_token, torch.zeros_like(per_token))
    return per_token.sum() / take.sum().clamp(min=1)
