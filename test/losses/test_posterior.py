"""Tests for ctc_kd/losses/posterior.py: Sfmx-KD, Guide-CTC, binary KD and factorized KL, against hand and NumPy."""
import math

import numpy as np
import pytest
import torch

from ctc_kd.losses import binary_kd, fkl, guide_ctc, log_beta, log_phat, sfmx_kd
from ctc_kd.losses.posterior import _kl_from_logprobs

LN = math.log

# Hand case: 1 utterance, 2 frames, 3 tokens, blank = 0; logits are log-probabilities so softmax returns them.
#   teacher  frame 1: [0.5, 0.25, 0.25] (Bk)     frame 2: [0.2, 0.6, 0.2] (N, argmax token 1)
#   student  frame 1: [0.25, 0.5, 0.25]          frame 2: [0.4, 0.4, 0.2]
# KL_1 = 0.5 ln(0.5/0.25) + 0.25 ln(0.25/0.5) + 0.25 ln 1 = 0.25 ln 2                       = 0.1732868
# KL_2 = 0.2 ln(0.2/0.4) + 0.6 ln(0.6/0.4) + 0.2 ln 1     = 0.6 ln 1.5 - 0.2 ln 2            = 0.1046498
# beta^T = [0.5, 0.5], [0.2, 0.8]; beta^S = [0.25, 0.75], [0.4, 0.6]
# KLb_1 = 0.5 ln 2 + 0.5 ln(0.5/0.75)                     = 0.5 ln(4/3)                      = 0.1438410
# KLb_2 = 0.2 ln 0.5 + 0.8 ln(0.8/0.6)                    = 0.8 ln(4/3) - 0.2 ln 2           = 0.0915166
# phat^T = [0.5, 0.5], [0.75, 0.25]; phat^S = [2/3, 1/3], [2/3, 1/3]
# KLh_1 = 0.5 ln(0.75) + 0.5 ln(1.5)                      = 0.5 ln(9/8)                      = 0.0588915
# KLh_2 = 0.75 ln(9/8) + 0.25 ln(3/4)                     =                                    0.0164165
# (identity: KL_1 = KLb_1 + 0.5 KLh_1, KL_2 = KLb_2 + 0.8 KLh_2)
HAND_T = torch.tensor([[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]], dtype=torch.float64).log()
HAND_S = torch.tensor([[[0.25, 0.5, 0.25], [0.4, 0.4, 0.2]]], dtype=torch.float64).log()
KL_1, KL_2 = 0.25 * LN(2), 0.6 * LN(1.5) - 0.2 * LN(2)
KLB_1, KLB_2 = 0.5 * LN(4 / 3), 0.8 * LN(4 / 3) - 0.2 * LN(2)
KLH_2 = 0.75 * LN(9 / 8) + 0.25 * LN(3 / 4)


def test_hand_case():
    lengths = torch.tensor([2])
    assert sfmx_kd(HAND_S, HAND_T, lengths).item() == pytest.approx((KL_1 + KL_2) / 2, rel=1e-12)  # 0.1389683
    assert sfmx_kd(HAND_S, HAND_T, lengths, frames="nonblank").item() == pytest.approx(KL_2, rel=1e-12)
    # Guide-CTC: N = {frame 2}, teacher argmax token 1, student p(1) = 0.4: -ln 0.4 = 0.9162907
    assert guide_ctc(HAND_S, HAND_T, lengths).item() == pytest.approx(-LN(0.4), rel=1e-12)
    assert binary_kd(HAND_S, HAND_T, lengths).item() == pytest.approx((KLB_1 + KLB_2) / 2, rel=1e-12)  # 0.1176787
    # fkl A: mean_N KL + mean_Bk KLb = KL_2 + KLb_1 = 0.2484908
    assert fkl(HAND_S, HAND_T, lengths).item() == pytest.approx(KL_2 + KLB_1, rel=1e-12)
    assert fkl(HAND_S, HAND_T, lengths, blank_weight=0.5).item() == pytest.approx(KL_2 + 0.5 * KLB_1, rel=1e-12)
    # fkl B: mean_valid KLb + mean_N KLh = (KLb_1 + KLb_2) / 2 + KLh_2 = 0.1340955
    assert fkl(HAND_S, HAND_T, lengths, variant="B").item() == pytest.approx((KLB_1 + KLB_2) / 2 + KLH_2, rel=1e-12)
    # Only frame 1 valid: N is empty, so the N terms are 0.
    one = torch.tensor([1])
    assert sfmx_kd(HAND_S, HAND_T, one).item() == pytest.approx(KL_1, rel=1e-12)
    assert guide_ctc(HAND_S, HAND_T, one).item() == 0.0
    assert fkl(HAND_S, HAND_T, one).item() == pytest.approx(KLB_1, rel=1e-12)


def test_hand_case_temperature_scaling():
    # With tau = 2 the distributions are softened and the result multiplied by 4; check against the direct formula.
    pt = torch.softmax(HAND_T / 2, -1)
    ps = torch.softmax(HAND_S / 2, -1)
    kl = (pt * (pt.log() - ps.log())).sum(-1).mean().item()
    assert sfmx_kd(HAND_S, HAND_T, torch.tensor([2]), temperature=2.0).item() == pytest.approx(4 * kl, rel=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# Independent NumPy reference: loops over utterances and frames, float64, scalar math.
# ----------------------------------------------------------------------------------------------------------------
def _np_probs(row, tau):
    x = [v / tau for v in row]
    m = max(x)
    e = [math.exp(v - m) for v in x]
    s = sum(e)
    return [v / s for v in e]


def _np_kl(p, q):
    return sum(pk * (math.log(pk) - math.log(qk)) for pk, qk in zip(p, q) if pk > 0)


def np_reference(zs, zt, lengths, *, blank, tau, frame_rule="argmax", theta=0.5, blank_weight=1.0):
    kl_all, kl_n, guide, kb_all, kb_bk, kh_n = [], [], [], [], [], []
    vocab = zs.shape[-1]
    nb = [k for k in range(vocab) if k != blank]
    for b in range(zs.shape[0]):
        for t in range(int(lengths[b])):
            pt1 = _np_probs(zt[b, t], 1.0)
            is_blank = (int(np.argmax(pt1)) == blank) if frame_rule == "argmax" else (pt1[blank] > theta)
            pt, ps = _np_probs(zt[b, t], tau), _np_probs(zs[b, t], tau)
            kl = _np_kl(pt, ps)
            kb = _np_kl([pt[blank], 1 - pt[blank]], [ps[blank], 1 - ps[blank]])
            kh = _np_kl([pt[k] / (1 - pt[blank]) for k in nb], [ps[k] / (1 - ps[blank]) for k in nb])
            kl_all.append(kl)
            kb_all.append(kb)
            if is_blank:
                kb_bk.append(kb)
            else:
                kl_n.append(kl)
                kh_n.append(kh)
                target = max(nb, key=lambda k: pt1[k])
                guide.append(-math.log(_np_probs(zs[b, t], 1.0)[target]))

    def mean(xs):
        return sum(xs) / len(xs) if xs else 0.0

    return {
        "sfmx_all": tau ** 2 * mean(kl_all),
        "sfmx_nonblank": tau ** 2 * mean(kl_n),
        "guide": mean(guide),
        "binary": tau ** 2 * mean(kb_all),
        "fkl_A": tau ** 2 * (mean(kl_n) + blank_weight * mean(kb_bk)),
        "fkl_B": tau ** 2 * (mean(kb_all) + mean(kh_n)),
        "n_nonblank": len(kl_n),
        "n_blank": len(kb_bk),
    }


def random_pair(seed, batch=3, frames=6, vocab=5, blank=0, dtype=torch.float64):
    """Student logits and a spiky teacher (blank boosted on about half the frames)."""
    gen = torch.Generator().manual_seed(seed)
    zs = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64) * 2
    zt = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64) * 2
    boost = (torch.rand(batch, frames, generator=gen) < 0.5).to(torch.float64) * 4
    zt[..., blank] += boost
    return zs.to(dtype), zt.to(dtype)


def torch_losses(zs, zt, lengths, *, blank, tau, frame_rule="argmax", theta=0.5, blank_weight=1.0):
    kw = dict(blank_id=blank, frame_rule=frame_rule, blank_threshold=theta)
    return {
        "sfmx_all": sfmx_kd(zs, zt, lengths, temperature=tau, **kw),
        "sfmx_nonblank": sfmx_kd(zs, zt, lengths, temperature=tau, frames="nonblank", **kw),
        "guide": guide_ctc(zs, zt, lengths, **kw),
        "binary": binary_kd(zs, zt, lengths, blank_id=blank, temperature=tau),
        "fkl_A": fkl(zs, zt, lengths, temperature=tau, blank_weight=blank_weight, **kw),
        "fkl_B": fkl(zs, zt, lengths, temperature=tau, variant="B", **kw),
    }


@pytest.mark.parametrize("blank, tau, frame_rule, theta, blank_weight", [
    (0, 1.0, "argmax", 0.5, 1.0),
    (0, 2.0, "argmax", 0.5, 0.5),
    (3, 1.5, "argmax", 0.5, 2.0),
    (0, 1.0, "threshold", 0.3, 1.0),
    (2, 3.0, "threshold", 0.6, 0.7),
])
def test_against_numpy_reference(blank, tau, frame_rule, theta, blank_weight):
    zs, zt = random_pair(seed=blank * 10 + int(tau * 7), blank=blank)
    lengths = torch.tensor([6, 4, 0])
    opts = dict(blank=blank, tau=tau, frame_rule=frame_rule, theta=theta, blank_weight=blank_weight)
    ref = np_reference(zs.numpy(), zt.numpy(), lengths.numpy(), **opts)
    assert ref["n_nonblank"] > 0 and ref["n_blank"] > 0, "the random case must exercise both frame sets"
    got = torch_losses(zs, zt, lengths, **opts)
    for name, value in got.items():
        assert value.dim() == 0 and value.dtype == torch.float64
        assert value.item() == pytest.approx(ref[name], rel=1e-5), name
    # float32 inputs compute in float32: same numbers to float32 accuracy.
    got32 = torch_losses(zs.float(), zt.float(), lengths, **opts)
    for name, value in got32.items():
        assert value.dtype == torch.float32
        assert value.item() == pytest.approx(ref[name], rel=1e-4, abs=1e-6), name


def test_guide_ctc_threshold_rule_targets_best_nonblank():
    # p^T = [0.45, 0.35, 0.2]: argmax is blank, but with threshold 0.5 the frame is N; target = token 1.
    zt = torch.tensor([[[0.45, 0.35, 0.2]]], dtype=torch.float64).log()
    zs = torch.tensor([[[0.2, 0.5, 0.3]]], dtype=torch.float64).log()
    got = guide_ctc(zs, zt, torch.tensor([1]), frame_rule="threshold", blank_threshold=0.5)
    assert got.item() == pytest.approx(-LN(0.5), rel=1e-12)


# ----------------------------------------------------------------------------------------------------------------
# Identities and relations between the losses.
# ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("blank, tau", [(0, 1.0), (2, 2.0)])
def test_factorization_identity_per_frame(blank, tau):
    # KL(p || q) = KL(beta_p || beta_q) + (1 - p_b) KL(phat_p || phat_q), frame by frame.
    zs, zt = random_pair(seed=3, blank=blank)
    lp_t, lp_s = torch.log_softmax(zt / tau, -1), torch.log_softmax(zs / tau, -1)
    full = _kl_from_logprobs(lp_t, lp_s)
    binary = _kl_from_logprobs(log_beta(zt, blank, tau), log_beta(zs, blank, tau))
    phat = _kl_from_logprobs(log_phat(zt, blank, tau), log_phat(zs, blank, tau))
    one_minus_pb = 1 - lp_t[..., blank].exp()
    torch.testing.assert_close(full, binary + one_minus_pb * phat, rtol=1e-10, atol=1e-12)


def test_fkl_relations_to_sfmx_and_binary():
    lengths = torch.tensor([6, 3, 5])
    zs, zt = random_pair(seed=5)
    # All frames non-blank (blank logit just below the max, so p(b) stays large): fkl A == sfmx_kd.
    zt_n = zt.clone()
    zt_n[..., 0] = zt[..., 1:].amax(-1) - 0.1
    for tau in (1.0, 2.0):
        torch.testing.assert_close(fkl(zs, zt_n, lengths, temperature=tau),
                                   sfmx_kd(zs, zt_n, lengths, temperature=tau), rtol=1e-12, atol=0)
    # All frames blank: N empty, so fkl A == blank_weight * binary_kd and fkl B == binary_kd.
    zt_b = zt.clone()
    zt_b[..., 0] = zt[..., 1:].amax(-1) + 0.1
    torch.testing.assert_close(fkl(zs, zt_b, lengths, blank_weight=0.3), 0.3 * binary_kd(zs, zt_b, lengths))
    torch.testing.assert_close(fkl(zs, zt_b, lengths, variant="B"), binary_kd(zs, zt_b, lengths))
    # blank_weight = 0: fkl A == sfmx_kd over N only.
    torch.testing.assert_close(fkl(zs, zt, lengths, blank_weight=0.0, temperature=1.5),
                               sfmx_kd(zs, zt, lengths, frames="nonblank", temperature=1.5))
    # Teacher with p(b) = 0 everywhere (blank logit -1e4): every frame is N and (1 - p_b) = 1, so fkl B == sfmx_kd.
    zt_0 = zt.clone()
    zt_0[..., 0] = -1e4
    torch.testing.assert_close(fkl(zs, zt_0, lengths, variant="B"), sfmx_kd(zs, zt_0, lengths),
                               rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------------------------------------------
# Gradients, padding, empty sets, peaky teachers and half precision, for every loss.
# ----------------------------------------------------------------------------------------------------------------
LOSSES = {
    "sfmx_all": lambda s, t, n: sfmx_kd(s, t, n, temperature=2.0),
    "sfmx_nonblank": lambda s, t, n: sfmx_kd(s, t, n, frames="nonblank"),
    "guide": lambda s, t, n: guide_ctc(s, t, n),
    "binary": lambda s, t, n: binary_kd(s, t, n, temperature=1.5),
    "fkl_A": lambda s, t, n: fkl(s, t, n, temperature=2.0, blank_weight=0.5),
    "fkl_B": lambda s, t, n: fkl(s, t, n, variant="B"),
    "fkl_A_threshold": lambda s, t, n: fkl(s, t, n, frame_rule="threshold", blank_threshold=0.4),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradcheck_student_and_teacher_gets_no_grad(name):
    loss = LOSSES[name]
    zs, zt = random_pair(seed=11, batch=2, frames=4, vocab=4)
    lengths = torch.tensor([4, 2])
    zs.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: loss(s, zt, lengths), (zs,))
    zs.grad = None
    zt.requires_grad_(True)
    out = loss(zs, zt, lengths)
    out.backward()
    assert zt.grad is None
    assert zs.grad is not None and torch.isfinite(zs.grad).all()


@pytest.mark.parametrize("fill", ["huge", "inf_nan"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_padding_invariance(name, fill):
    loss = LOSSES[name]
    zs, zt = random_pair(seed=13, batch=2, frames=4, vocab=5)
    lengths = torch.tensor([4, 2])
    # Base: padded frames of utterance 2 zero. Padded: same valid frames, three more frames, garbage padding.
    base_s = zs.clone()
    base_s[1, 2:] = 0
    base_t = zt.clone()
    base_t[1, 2:] = 0
    gen = torch.Generator().manual_seed(1)
    pad_s = torch.cat([zs, torch.zeros(2, 3, 5, dtype=zs.dtype)], dim=1)
    pad_t = torch.cat([zt, torch.zeros(2, 3, 5, dtype=zt.dtype)], dim=1)
    garbage_mask = torch.ones(2, 7, dtype=torch.bool)
    garbage_mask[0, :4] = False
    garbage_mask[1, :2] = False
    if fill == "huge":
        garbage = torch.randn(2, 7, 5, generator=gen, dtype=zs.dtype) * 1e30
    else:
        garbage = torch.tensor([math.inf, -math.inf, math.nan, 1e300, -1e300], dtype=zs.dtype).expand(2, 7, 5)
    pad_s[garbage_mask] = garbage[garbage_mask]
    pad_t[garbage_mask] = garbage.flip(-1)[garbage_mask]

    base_s.requires_grad_(True)
    pad_s.requires_grad_(True)
    v_base = loss(base_s, base_t, lengths)
    v_pad = loss(pad_s, pad_t, lengths)
    v_base.backward()
    v_pad.backward()
    assert torch.isfinite(v_pad)
    torch.testing.assert_close(v_pad, v_base, rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(pad_s.grad[~garbage_mask], base_s.grad[~garbage_mask[:, :4]], rtol=1e-12, atol=1e-15)
    assert (pad_s.grad[garbage_mask] == 0).all()


def test_empty_sets_give_exact_zero():
    zs, zt = random_pair(seed=17)
    lengths = torch.tensor([6, 2, 4])
    all_blank = zt.clone()
    all_blank[..., 0] = zt[..., 1:].amax(-1) + 1.0
    zs.requires_grad_(True)
    for out in (guide_ctc(zs, all_blank, lengths), sfmx_kd(zs, all_blank, lengths, frames="nonblank")):
        assert out.item() == 0.0
        out.backward()
        assert torch.isfinite(zs.grad).all() and (zs.grad == 0).all()
        zs.grad = None
    # No valid frame at all: every loss is exactly 0 with a zero (not NaN) gradient.
    none = torch.zeros(3, dtype=torch.long)
    for name, loss in LOSSES.items():
        out = loss(zs, zt, none)
        assert out.item() == 0.0, name
        out.backward()
        assert (zs.grad == 0).all(), name
        zs.grad = None


@pytest.mark.parametrize("gap", [50.0, 100.0])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_peaky_teacher_is_finite(name, gap):
    loss = LOSSES[name]
    # Teacher: one-hot-like rows with logit gap `gap`, some entries at -1e4; alternating blank and token spikes.
    zt = torch.zeros(2, 6, 5)
    for t in range(6):
        zt[:, t, 0 if t % 2 == 0 else 1 + t % 4] = gap
    zt[:, :, 4] = -1e4
    zt[:, 3, 2] = gap  # a peaky non-blank frame where the -1e4 token is not the target
    # Student: peaky too, but often on the wrong token, plus a -1e4 entry where the teacher has mass elsewhere.
    zs = torch.randn(2, 6, 5, generator=torch.Generator().manual_seed(2)) * 3
    zs[:, :, 3] += gap
    zs[:, 1, 0] = -1e4
    zs.requires_grad_(True)
    lengths = torch.tensor([6, 5])
    out = loss(zs, zt, lengths)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(zs.grad).all()
    # Same numbers as float64 to float32 accuracy.
    ref = loss(zs.detach().double(), zt.double(), lengths)
    assert out.item() == pytest.approx(ref.item(), rel=1e-4, abs=1e-5)


def test_minus_inf_logits_where_teacher_has_no_mass():
    # Exact zeros (e.g. an empty bucket of the teacher cache): 0 log 0 = 0 even when the student is -inf there too.
    inf = math.inf
    zt = torch.tensor([[[-inf, 2.0, 0.0, -inf], [3.0, -inf, 0.0, 1.0]]], dtype=torch.float64)
    zs = torch.tensor([[[0.0, 1.0, 0.0, -inf], [1.0, -inf, 0.0, 1.0]]], dtype=torch.float64)
    lengths = torch.tensor([2])
    ref = np_reference(zs.numpy(), zt.numpy(), lengths.numpy(), blank=0, tau=1.0)
    zs.requires_grad_(True)
    for name, value in torch_losses(zs, zt, lengths, blank=0, tau=1.0).items():
        assert value.item() == pytest.approx(ref[name], rel=1e-10), name
        value.backward()
        assert torch.isfinite(zs.grad).all(), name
        zs.grad = None


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_half_precision_inputs(name, dtype):
    loss = LOSSES[name]
    zs, zt = random_pair(seed=19, batch=2, frames=5, vocab=6)
    zt[0, 1] = torch.tensor([60.0, 0.0, -1e4, 0.0, 0.0, 0.0], dtype=torch.float64)  # peaky, -1e4 in range for fp16
    zs_h = zs.to(dtype).requires_grad_(True)
    zt_h = zt.to(dtype)
    lengths = torch.tensor([5, 3])
    out = loss(zs_h, zt_h, lengths)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    out.backward()
    assert zs_h.grad.dtype == dtype and torch.isfinite(zs_h.grad.float()).all()
    # Computed in float32 from the rounded inputs.
    ref = loss(zs_h.detach().float(), zt_h.float(), lengths)
    assert out.item() == pytest.approx(ref.item(), rel=1e-6)


def test_mixed_dtypes_promote():
    zs, zt = random_pair(seed=23)
    lengths = torch.tensor([6, 6, 6])
    out = sfmx_kd(zs.float(), zt.half(), lengths)
    assert out.dtype == torch.float32
    assert sfmx_kd(zs, zt.float(), lengths).dtype == torch.float64


@pytest.mark.parametrize("call, exc, match", [
    (lambda s, t, n: sfmx_kd(s, t[..., :4], n), ValueError, "vocabulary"),
    (lambda s, t, n: sfmx_kd(s, t[:, :5], n), ValueError, "frame rate"),
    (lambda s, t, n: sfmx_kd(s, t[:2], n), ValueError, "batch size"),
    (lambda s, t, n: sfmx_kd(s[0], t[0], n), ValueError, r"\(batch, frames, vocab\)"),
    (lambda s, t, n: sfmx_kd(s, t, torch.tensor([7, 1, 1])), ValueError, "exceeds the 6 frames"),
    (lambda s, t, n: sfmx_kd(s, t, torch.tensor([6, 1])), ValueError, "lengths has 2 entries"),
    (lambda s, t, n: sfmx_kd(s, t, n, frames="blank"), ValueError, "frames='blank'"),
    (lambda s, t, n: sfmx_kd(s, t, n, temperature=0.0), ValueError, "temperature"),
    (lambda s, t, n: guide_ctc(s, t, n, blank_id=5), ValueError, "blank_id=5"),
    (lambda s, t, n: fkl(s, t, n, variant="C"), ValueError, "variant='C'"),
    (lambda s, t, n: fkl(s, t, n, variant="B", blank_weight=0.5), ValueError, "only applies to fkl variant 'A'"),
    (lambda s, t, n: binary_kd(s.long(), t, n), TypeError, "floating-point"),
])
def test_bad_inputs_raise(call, exc, match):
    zs, zt = random_pair(seed=29)
    with pytest.raises(exc, match=match):
        call(zs, zt, torch.tensor([6, 4, 2]))
