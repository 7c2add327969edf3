"""Tests for ctc_kd/losses/hidden.py: factorized hidden-state KD against hand and NumPy numbers."""
import math

import numpy as np
import pytest
import torch

from ctc_kd.losses import factorized_repr_kd

# Hand case: 1 utterance, 2 frames, D = 2; teacher posteriors over 3 tokens (blank = 0) decide the frame types.
#   teacher p: frame 1 [0.5, 0.25, 0.25] -> Bk, frame 2 [0.2, 0.6, 0.2] -> N
#   frame 1: h^S = [1, 2], h^T = [0, 0]  -> MSE_1 = (1 + 4) / 2 = 2.5
#   frame 2: h^S = [3, 0], h^T = [0, 1]  -> MSE_2 = (9 + 1) / 2 = 5.0
#   loss = nonblank_weight * 5.0 + blank_weight * 2.5: 7.5 with weights (1, 1), 11.25 with (2, 0.5)
HAND_Z = torch.tensor([[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]], dtype=torch.float64).log()
HAND_HS = torch.tensor([[[1.0, 2.0], [3.0, 0.0]]], dtype=torch.float64)
HAND_HT = torch.tensor([[[0.0, 0.0], [0.0, 1.0]]], dtype=torch.float64)


def test_hand_case():
    lengths = torch.tensor([2])
    assert factorized_repr_kd(HAND_HS, HAND_HT, HAND_Z, lengths).item() == 7.5
    got = factorized_repr_kd(HAND_HS, HAND_HT, HAND_Z, lengths, nonblank_weight=2.0, blank_weight=0.5)
    assert got.item() == 11.25
    # Only frame 1 valid: N empty, the blank term alone.
    assert factorized_repr_kd(HAND_HS, HAND_HT, HAND_Z, torch.tensor([1])).item() == 2.5
    # Threshold rule with theta = 0.1: both frames have p(b) > 0.1, so both are Bk: (2.5 + 5) / 2.
    got = factorized_repr_kd(HAND_HS, HAND_HT, HAND_Z, lengths, frame_rule="threshold", blank_threshold=0.1)
    assert got.item() == 3.75


def np_reference(hs, ht, zt, lengths, *, blank, wn, wb):
    n_vals, b_vals = [], []
    for b in range(hs.shape[0]):
        for t in range(int(lengths[b])):
            mse = sum((hs[b, t, d] - ht[b, t, d]) ** 2 for d in range(hs.shape[2])) / hs.shape[2]
            (b_vals if int(np.argmax(zt[b, t])) == blank else n_vals).append(mse)
    mean_n = sum(n_vals) / len(n_vals) if n_vals else 0.0
    mean_b = sum(b_vals) / len(b_vals) if b_vals else 0.0
    return wn * mean_n + wb * mean_b, len(n_vals), len(b_vals)


def random_case(seed, batch=3, frames=6, dim=4, vocab=5, blank=0):
    gen = torch.Generator().manual_seed(seed)
    hs = torch.randn(batch, frames, dim, generator=gen, dtype=torch.float64)
    ht = torch.randn(batch, frames, dim, generator=gen, dtype=torch.float64)
    zt = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64) * 2
    zt[..., blank] += (torch.rand(batch, frames, generator=gen) < 0.5).to(torch.float64) * 4
    return hs, ht, zt


@pytest.mark.parametrize("blank, wn, wb", [(0, 1.0, 1.0), (2, 3.0, 0.25), (4, 0.0, 1.0)])
def test_against_numpy_reference(blank, wn, wb):
    hs, ht, zt = random_case(seed=blank + 1, blank=blank)
    lengths = torch.tensor([6, 3, 0])
    ref, n_n, n_b = np_reference(hs.numpy(), ht.numpy(), zt.numpy(), lengths.numpy(), blank=blank, wn=wn, wb=wb)
    assert n_n > 0 and n_b > 0
    got = factorized_repr_kd(hs, ht, zt, lengths, blank_id=blank, nonblank_weight=wn, blank_weight=wb)
    assert got.dtype == torch.float64 and got.item() == pytest.approx(ref, rel=1e-5)
    got32 = factorized_repr_kd(hs.float(), ht.float(), zt.float(), lengths, blank_id=blank, nonblank_weight=wn,
                               blank_weight=wb)
    assert got32.dtype == torch.float32 and got32.item() == pytest.approx(ref, rel=1e-5)


def test_gradcheck_and_teacher_gets_no_grad():
    hs, ht, zt = random_case(seed=7, batch=2, frames=4, dim=3, vocab=4)
    lengths = torch.tensor([4, 2])
    hs.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda h: factorized_repr_kd(h, ht, zt, lengths, nonblank_weight=2.0, blank_weight=0.5), (hs,))
    ht.requires_grad_(True)
    zt.requires_grad_(True)
    hs.grad = None
    factorized_repr_kd(hs, ht, zt, lengths).backward()
    assert ht.grad is None and zt.grad is None and torch.isfinite(hs.grad).all()


@pytest.mark.parametrize("fill", [1e30, math.inf, math.nan])
def test_padding_invariance(fill):
    hs, ht, zt = random_case(seed=9, batch=2, frames=4)
    lengths = torch.tensor([4, 2])
    base = [x.clone() for x in (hs, ht, zt)]
    for x in base:
        x[1, 2:] = 0
    padded = [torch.cat([x, torch.zeros(2, 3, x.shape[-1], dtype=x.dtype)], dim=1) for x in (hs, ht, zt)]
    garbage = torch.ones(2, 7, dtype=torch.bool)
    garbage[0, :4] = False
    garbage[1, :2] = False
    for i, x in enumerate(padded):
        x[garbage] = fill * (-1) ** i
    base[0].requires_grad_(True)
    padded[0].requires_grad_(True)
    v_base = factorized_repr_kd(*base, lengths, nonblank_weight=1.5)
    v_pad = factorized_repr_kd(*padded, lengths, nonblank_weight=1.5)
    v_base.backward()
    v_pad.backward()
    torch.testing.assert_close(v_pad, v_base, rtol=1e-12, atol=0)
    torch.testing.assert_close(padded[0].grad[~garbage], base[0].grad[~garbage[:, :4]], rtol=1e-12, atol=0)
    assert (padded[0].grad[garbage] == 0).all()


def test_empty_sets():
    hs, ht, zt = random_case(seed=11)
    lengths = torch.tensor([6, 5, 4])
    all_blank = zt.clone()
    all_blank[..., 0] = zt[..., 1:].amax(-1) + 1.0
    hs.requires_grad_(True)
    # Teacher blank everywhere: the non-blank term is exactly 0, so weighting it changes nothing.
    blank_only = factorized_repr_kd(hs, ht, all_blank, lengths, nonblank_weight=0.0)
    assert factorized_repr_kd(hs, ht, all_blank, lengths, nonblank_weight=5.0).item() == blank_only.item()
    assert factorized_repr_kd(hs, ht, all_blank, lengths, blank_weight=0.0).item() == 0.0
    out = factorized_repr_kd(hs, ht, zt, torch.zeros(3, dtype=torch.long))
    assert out.item() == 0.0
    out.backward()
    assert (hs.grad == 0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_and_peaky_teacher(dtype):
    hs, ht, zt = random_case(seed=13, batch=2, frames=5)
    zt[0, :, 0] = 100.0
    zt[0, :, 1] = -1e4
    zt[1, :, 2] = 50.0
    hs_h = (hs * 100).to(dtype).requires_grad_(True)  # large activations: their squares overflow float16
    ht_h, zt_h = (ht * 100).to(dtype), zt.to(dtype)
    lengths = torch.tensor([5, 4])
    out = factorized_repr_kd(hs_h, ht_h, zt_h, lengths)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    out.backward()
    assert torch.isfinite(hs_h.grad.float()).all()
    ref = factorized_repr_kd(hs_h.detach().float(), ht_h.float(), zt_h.float(), lengths)
    assert out.item() == pytest.approx(ref.item(), rel=1e-6)


@pytest.mark.parametrize("kwargs, shapes, match", [
    ({}, ((2, 4, 3), (2, 4, 5), (2, 4, 6)), "project the student"),
    ({}, ((2, 4, 5), (2, 3, 5), (2, 4, 6)), "frame rate"),
    ({}, ((2, 4, 5), (2, 4, 5), (2, 3, 6)), "frame rate"),
    ({}, ((2, 4), (2, 4, 5), (2, 4, 6)), r"\(batch, frames, dim\)"),
    ({"blank_weight": -1.0}, ((2, 4, 5), (2, 4, 5), (2, 4, 6)), "blank_weight"),
    ({"nonblank_weight": math.nan}, ((2, 4, 5), (2, 4, 5), (2, 4, 6)), "nonblank_weight"),
    ({"blank_id": 6}, ((2, 4, 5), (2, 4, 5), (2, 4, 6)), "blank_id=6"),
])
def test_bad_inputs_raise(kwargs, shapes, match):
    hs, ht, zt = (torch.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        factorized_repr_kd(hs, ht, zt, torch.tensor([4, 2]), **kwargs)
