import pytest
import torch
import torch.nn.functional as F

from netra.partial import (
    IGNORE_INDEX,
    allowed_tag_mask,
    hidden_tags,
    label_allowed_mask,
    partial_cross_entropy,
)

TAGS = ["O", "B-PER", "I-PER", "B-ROLE", "I-ROLE", "B-LOC", "I-LOC"]
O_ID, B_PER, I_PER, B_ROLE, I_ROLE, B_LOC, I_LOC = range(len(TAGS))


def test_hidden_tags_are_the_unannotated_labels_tags():
    assert hidden_tags(["PER", "LOC"], TAGS) == [False, False, False, True, True, False, False]
    assert hidden_tags(None, TAGS) == [False] * len(TAGS)
    assert hidden_tags(["PER", "ROLE", "LOC"], TAGS) == [False] * len(TAGS)


def test_allowed_mask_opens_o_tokens_only_to_unannotated_tags():
    mask = allowed_tag_mask(["O", "B-PER", None, "I-LOC"], ["PER", "LOC"], TAGS)
    assert mask[0].nonzero().flatten().tolist() == [O_ID, B_ROLE, I_ROLE]
    assert mask[1].nonzero().flatten().tolist() == [B_PER]
    assert not mask[2].any()
    assert mask[3].nonzero().flatten().tolist() == [I_LOC]


def test_allowed_mask_of_fully_annotated_doc_is_one_hot():
    mask = allowed_tag_mask(["O", "B-ROLE", "I-ROLE"], None, TAGS)
    assert mask.sum(dim=-1).tolist() == [1, 1, 1]


def test_allowed_mask_rejects_unknown_tag():
    with pytest.raises(ValueError, match="B-LAW"):
        allowed_tag_mask(["B-LAW"], None, TAGS)


def test_batched_mask_from_label_ids_matches_tag_mask():
    tags = ["O", "B-PER", None, "I-LOC", "O"]
    labels = torch.tensor([[TAGS.index(t) if t else IGNORE_INDEX for t in tags]])
    hidden = torch.tensor([hidden_tags(["PER", "LOC"], TAGS)])
    batched = label_allowed_mask(labels, hidden, o_id=O_ID)
    assert torch.equal(batched[0], allowed_tag_mask(tags, ["PER", "LOC"], TAGS))


def test_partial_loss_equals_cross_entropy_on_fully_annotated_tokens():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, len(TAGS))
    labels = torch.tensor([[O_ID, B_ROLE, I_ROLE, O_ID, IGNORE_INDEX], [B_PER, IGNORE_INDEX, O_ID, B_LOC, I_LOC]])
    hidden = torch.zeros(2, len(TAGS), dtype=torch.bool)  # both sequences fully annotated
    loss = partial_cross_entropy(logits, label_allowed_mask(labels, hidden, o_id=O_ID))
    expected = F.cross_entropy(logits.reshape(-1, len(TAGS)), labels.reshape(-1), ignore_index=IGNORE_INDEX)
    torch.testing.assert_close(loss, expected)


def test_partial_loss_does_not_push_unannotated_tag_below_o():
    """On an O token of a source without ROLE, O and ROLE tags are interchangeable for the loss.

    Ordinary cross-entropy against O has a positive gradient on the B-ROLE logit (it pushes B-ROLE
    down); the partial loss never does, and its gradient along any move of probability mass between
    O and B-ROLE (allowed mass kept) is zero, while an annotated label (B-PER) is still pushed down.
    """
    logits = torch.tensor([[2.0, 0.5, -1.0, 1.5, -0.5, 0.0, -2.0]], requires_grad=True)
    allowed = allowed_tag_mask(["O"], ["PER", "LOC"], TAGS)
    partial_cross_entropy(logits, allowed).backward()
    grad = logits.grad[0]
    assert grad[B_ROLE] <= 0 and grad[I_ROLE] <= 0 and grad[O_ID] <= 0
    assert grad[B_PER] > 0

    ordinary = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(ordinary, torch.tensor([O_ID])).backward()
    assert ordinary.grad[0, B_ROLE] > 0  # what the partial loss avoids

    # Directional derivative along a mass-preserving shift between O and B-ROLE is zero.
    p = logits.detach().softmax(-1)[0]
    direction = torch.zeros(len(TAGS))
    direction[O_ID], direction[B_ROLE] = p[B_ROLE], -p[O_ID]
    assert abs(float(grad @ direction)) < 1e-6


def test_partial_loss_is_invariant_to_moving_mass_between_o_and_unannotated_tag():
    allowed = allowed_tag_mask(["O"], ["PER", "LOC"], TAGS)
    base = torch.tensor([[2.0, 0.5, -1.0, 1.5, -0.5, 0.0, -2.0]])
    # Same total exp-mass on {O, B-ROLE}, split the other way round.
    mass = base[0, O_ID].exp() + base[0, B_ROLE].exp()
    moved = base.clone()
    moved[0, B_ROLE] = torch.log(0.9 * mass)
    moved[0, O_ID] = torch.log(0.1 * mass)
    torch.testing.assert_close(partial_cross_entropy(base, allowed), partial_cross_entropy(moved, allowed))
    assert F.cross_entropy(moved, torch.tensor([O_ID])) > F.cross_entropy(base, torch.tensor([O_ID])) + 1


def test_partial_loss_skips_ignored_tokens_and_survives_all_ignored_batch():
    logits = torch.randn(3, len(TAGS), requires_grad=True)
    allowed = torch.zeros(3, len(TAGS), dtype=torch.bool)
    loss = partial_cross_entropy(logits, allowed)
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(logits.grad, torch.zeros_like(logits))

    allowed[0, B_PER] = allowed[1, O_ID] = True
    only_first = partial_cross_entropy(logits, allowed, ignore=torch.tensor([False, True, False]))
    torch.testing.assert_close(only_first, F.cross_entropy(logits[:1], torch.tensor([B_PER])))


def test_partial_loss_is_finite_with_extreme_logits():
    logits = torch.tensor([[80.0, -80.0, -80.0, -90.0, -90.0, -80.0, -80.0]])
    allowed = allowed_tag_mask(["O"], ["PER", "LOC"], TAGS)
    assert torch.isfinite(partial_cross_entropy(logits, allowed))
    hard = allowed_tag_mask(["B-ROLE"], None, TAGS)
    assert partial_cross_entropy(logits, hard) > 100
