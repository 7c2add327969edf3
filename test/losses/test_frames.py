"""Tests for ctc_kd/losses/frames.py: masks, teacher frame sets, masked means, stable beta and phat."""
import math

import numpy as np
import pytest
import torch

from ctc_kd.losses import log_beta, log_phat, masked_mean, teacher_frame_sets, valid_mask

# The 1-utterance, 2-frame, 3-token case (blank = 0) used across the loss tests; logits are log-probabilities.
# teacher: frame 1 p = [0.5, 0.25, 0.25] (argmax blank -> Bk), frame 2 p = [0.2, 0.6, 0.2] (argmax token 1 -> N)
TEACHER = torch.tensor([[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]], dtype=torch.float64).log()


def test_valid_mask_values():
    mask = valid_mask(torch.tensor([3, 0, 1]), 4)
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, True, True, False], [False] * 4, [True, False, False, False]]


@pytest.mark.parametrize("lengths, match", [
    (torch.tensor([5, 2]), "exceeds the 4 frames"),
    (torch.tensor([-1, 2]), ">= 0"),
    (torch.tensor([[1, 2]]), "1-D"),
    (torch.tensor([1, 2, 3]), "batch has 2"),
])
def test_valid_mask_rejects_bad_lengths(lengths, match):
    with pytest.raises(ValueError, match=match):
        valid_mask(lengths, 4, batch_size=2)


def test_valid_mask_rejects_float_lengths():
    with pytest.raises(TypeError, match="integer"):
        valid_mask(torch.tensor([1.0, 2.0]), 4)


def test_frame_sets_hand_case_argmax():
    sets = teacher_frame_sets(TEACHER, torch.tensor([2]))
    assert sets.nonblank.tolist() == [[False, True]]
    assert sets.blank.tolist() == [[True, False]]
    # Frame 2 is padding when the length is 1: it belongs to neither set.
    sets = teacher_frame_sets(TEACHER, torch.tensor([1]))
    assert sets.nonblank.tolist() == [[False, False]]
    assert sets.blank.tolist() == [[True, False]]


def test_frame_sets_threshold_rule():
    # frame 1: p = [0.45, 0.5, 0.05], argmax token 1 (N); p(b) = 0.45 > 0.4 -> Bk under threshold 0.4, N under 0.5.
    # frame 2: p = [0.6, 0.3, 0.1], argmax blank (Bk); p(b) = 0.6 <= 0.7 -> N under threshold 0.7.
    z = torch.tensor([[[0.45, 0.5, 0.05], [0.6, 0.3, 0.1]]]).log()
    lengths = torch.tensor([2])
    assert teacher_frame_sets(z, lengths).nonblank.tolist() == [[True, False]]
    thr = teacher_frame_sets(z, lengths, frame_rule="threshold", blank_threshold=0.4)
    assert thr.nonblank.tolist() == [[False, False]] and thr.blank.tolist() == [[True, True]]
    thr = teacher_frame_sets(z, lengths, frame_rule="threshold", blank_threshold=0.5)
    assert thr.nonblank.tolist() == [[True, False]] and thr.blank.tolist() == [[False, True]]
    thr = teacher_frame_sets(z, lengths, frame_rule="threshold", blank_threshold=0.7)
    assert thr.nonblank.tolist() == [[True, True]] and thr.blank.tolist() == [[False, False]]


def test_frame_sets_blank_not_first():
    # blank = 2: frame 1 argmax is token 2 (blank), frame 2 argmax token 0.
    z = torch.tensor([[[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]]).log()
    sets = teacher_frame_sets(z, torch.tensor([2]), blank_id=2)
    assert sets.blank.tolist() == [[True, False]] and sets.nonblank.tolist() == [[False, True]]


def test_frame_sets_bad_options():
    with pytest.raises(ValueError, match="frame_rule"):
        teacher_frame_sets(TEACHER, torch.tensor([2]), frame_rule="max")
    with pytest.raises(ValueError, match="blank_threshold"):
        teacher_frame_sets(TEACHER, torch.tensor([2]), frame_rule="threshold", blank_threshold=1.5)
    with pytest.raises(ValueError, match="blank_id"):
        teacher_frame_sets(TEACHER, torch.tensor([2]), blank_id=3)


def test_masked_mean_values_and_empty():
    values = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, False, True], [False, True, False]])
    out = masked_mean(values, mask)
    assert out.item() == pytest.approx((1 + 3 + 5) / 3)
    out.backward()
    assert values.grad.tolist() == [[1 / 3, 0.0, 1 / 3], [0.0, 1 / 3, 0.0]]

    # Empty set: exactly 0, attached to the graph, zero gradient, even when masked-out values are inf.
    values = torch.tensor([[1.0, math.inf], [-math.inf, 2.0]], requires_grad=True)
    out = masked_mean(values, torch.zeros(2, 2, dtype=torch.bool))
    assert out.item() == 0.0 and out.requires_grad
    out.backward()
    assert values.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_masked_mean_shape_mismatch():
    with pytest.raises(ValueError, match="mask shape"):
        masked_mean(torch.zeros(2, 3), torch.zeros(2, 4, dtype=torch.bool))


def test_log_beta_hand_case():
    # frame 1: beta = [0.5, 0.5]; frame 2: beta = [0.2, 0.8].
    expected = np.log([[[0.5, 0.5], [0.2, 0.8]]])
    np.testing.assert_allclose(log_beta(TEACHER).numpy(), expected, rtol=1e-12)


def test_log_phat_hand_case():
    # frame 1: phat = [0.25, 0.25] / 0.5 = [0.5, 0.5]; frame 2: [0.6, 0.2] / 0.8 = [0.75, 0.25].
    expected = np.log([[[0.5, 0.5], [0.75, 0.25]]])
    np.testing.assert_allclose(log_phat(TEACHER).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("gap", [50.0, 100.0, 1e4])
def test_log_beta_stable_when_blank_dominates(gap):
    # logits [gap, 0, 0]: log(1 - p(b)) = log 2 - log(e^gap + 2) = log 2 - gap - log1p(2 e^-gap). In float32,
    # log(1 - exp(log p(b))) would be log(0) = -inf.
    z = torch.tensor([[gap, 0.0, 0.0]])
    lb = log_beta(z)
    expected_nb = math.log(2.0) - gap - math.log1p(2.0 * math.exp(-gap))
    expected_b = -math.log1p(2.0 * math.exp(-gap))
    assert lb.dtype == torch.float32 and torch.isfinite(lb).all()
    assert lb[0, 1].item() == pytest.approx(expected_nb, rel=1e-6)
    assert lb[0, 0].item() == pytest.approx(expected_b, abs=1e-6)


def test_log_beta_and_phat_against_numpy_with_temperature():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(2, 3, 5, generator=gen, dtype=torch.float64) * 3
    for blank in (0, 2):
        for tau in (1.0, 2.5):
            zz = z.numpy() / tau
            p = np.exp(zz - zz.max(-1, keepdims=True))
            p /= p.sum(-1, keepdims=True)
            pb = p[..., blank]
            nb = [k for k in range(5) if k != blank]
            np.testing.assert_allclose(log_beta(z, blank, tau).numpy(), np.log(np.stack([pb, 1 - pb], -1)),
                                       rtol=1e-10)
            np.testing.assert_allclose(log_phat(z, blank, tau).numpy(), np.log(p[..., nb] / (1 - pb)[..., None]),
                                       rtol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_log_beta_half_precision_upcasts(dtype):
    z = torch.tensor([[60.0, 0.0, -1e4], [0.0, 3.0, 1.0]], dtype=dtype)
    lb, lp = log_beta(z), log_phat(z)
    assert lb.dtype == torch.float32 and lp.dtype == torch.float32
    assert torch.isfinite(lb).all() and torch.isfinite(lp).all()
    np.testing.assert_allclose(lb.numpy(), log_beta(z.float()).numpy(), rtol=1e-6)


def test_log_beta_and_phat_gradcheck():
    z = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: log_beta(x, 1, 1.5), (z,))
    assert torch.autograd.gradcheck(lambda x: log_phat(x, 1, 1.5), (z,))
