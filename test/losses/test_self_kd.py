"""Tests for ctc_kd/losses/self_kd.py: the SKD frame-level KL and the alpha schedule."""
import math

import pytest
import torch

from ctc_kd.losses import sfmx_kd, skd_alpha, skd_kl

# Hand case: 1 utterance, 2 frames, 3 tokens, blank = 0 (logits are log-probabilities).
#   self-teacher (full head): frame 1 [0.5, 0.25, 0.25] (Bk), frame 2 [0.2, 0.6, 0.2] (N)
#   self-student (sub head):  frame 1 [0.25, 0.5, 0.25],       frame 2 [0.4, 0.4, 0.2]
#   KL_1 = 0.25 ln 2 = 0.1732868, KL_2 = 0.6 ln 1.5 - 0.2 ln 2 = 0.1046498
#   frames="all": (KL_1 + KL_2) / 2 = 0.1389683; frames="nonblank": KL_2
HAND_T = torch.tensor([[[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]], dtype=torch.float64).log()
HAND_S = torch.tensor([[[0.25, 0.5, 0.25], [0.4, 0.4, 0.2]]], dtype=torch.float64).log()
KL_1, KL_2 = 0.25 * math.log(2), 0.6 * math.log(1.5) - 0.2 * math.log(2)


def test_skd_kl_hand_case():
    lengths = torch.tensor([2])
    assert skd_kl(HAND_S, HAND_T, lengths).item() == pytest.approx((KL_1 + KL_2) / 2, rel=1e-12)
    assert skd_kl(HAND_S, HAND_T, lengths, frames="nonblank").item() == pytest.approx(KL_2, rel=1e-12)
    assert skd_kl(HAND_S, HAND_T, torch.tensor([1]), frames="nonblank").item() == 0.0


def np_skd_kl(zs, zt, lengths, *, blank, tau, nonblank_only):
    vals = []
    for b in range(zs.shape[0]):
        for t in range(int(lengths[b])):
            def probs(row, scale):
                e = [math.exp((v - max(row)) / scale) for v in row]
                return [x / sum(e) for x in e]
            p1 = probs(zt[b, t], 1.0)
            if nonblank_only and max(range(len(p1)), key=p1.__getitem__) == blank:
                continue
            pt, ps = probs(zt[b, t], tau), probs(zs[b, t], tau)
            vals.append(sum(p * (math.log(p) - math.log(q)) for p, q in zip(pt, ps)))
    return tau ** 2 * (sum(vals) / len(vals) if vals else 0.0)


def random_pair(seed, batch=3, frames=6, vocab=5):
    gen = torch.Generator().manual_seed(seed)
    zs = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64) * 2
    zt = torch.randn(batch, frames, vocab, generator=gen, dtype=torch.float64) * 2
    zt[..., 0] += (torch.rand(batch, frames, generator=gen) < 0.5).to(torch.float64) * 4
    return zs, zt


@pytest.mark.parametrize("tau, frames", [(1.0, "all"), (2.0, "all"), (1.0, "nonblank"), (3.0, "nonblank")])
def test_skd_kl_against_numpy_and_sfmx(tau, frames):
    zs, zt = random_pair(seed=int(tau) + len(frames))
    lengths = torch.tensor([6, 2, 5])
    ref = np_skd_kl(zs.numpy(), zt.numpy(), lengths.numpy(), blank=0, tau=tau, nonblank_only=frames == "nonblank")
    got = skd_kl(zs, zt, lengths, temperature=tau, frames=frames)
    assert got.item() == pytest.approx(ref, rel=1e-5)
    # Same definition as Sfmx-KD, between two heads of one model.
    assert got.item() == sfmx_kd(zs, zt, lengths, temperature=tau, frames=frames).item()


def test_skd_kl_gradcheck_and_stop_gradient():
    zs, zt = random_pair(seed=3, batch=2, frames=4, vocab=4)
    lengths = torch.tensor([4, 3])
    zs.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda s: skd_kl(s, zt, lengths, temperature=2.0), (zs,))
    assert torch.autograd.gradcheck(lambda s: skd_kl(s, zt, lengths, frames="nonblank"), (zs,))
    # The self-teacher is the full model's head: it requires grad, but sg[] keeps the KL from reaching it.
    zt.requires_grad_(True)
    zs.grad = None
    skd_kl(zs, zt, lengths).backward()
    assert zt.grad is None and torch.isfinite(zs.grad).all()


def test_skd_kl_padding_invariance():
    zs, zt = random_pair(seed=5, batch=2, frames=4)
    lengths = torch.tensor([4, 1])
    base_s, base_t = zs.clone(), zt.clone()
    base_s[1, 1:] = 0
    base_t[1, 1:] = 0
    pad_s = torch.cat([zs, torch.full((2, 2, 5), 1e30, dtype=zs.dtype)], dim=1)
    pad_t = torch.cat([zt, torch.full((2, 2, 5), -1e30, dtype=zt.dtype)], dim=1)
    pad_s[1, 1:4] = -1e30
    pad_t[1, 1:4] = math.nan
    base_s.requires_grad_(True)
    pad_s.requires_grad_(True)
    v_base, v_pad = skd_kl(base_s, base_t, lengths), skd_kl(pad_s, pad_t, lengths)
    v_base.backward()
    v_pad.backward()
    torch.testing.assert_close(v_pad, v_base, rtol=1e-12, atol=0)
    valid = torch.zeros(2, 6, dtype=torch.bool)
    valid[0, :4] = True
    valid[1, :1] = True
    torch.testing.assert_close(pad_s.grad[valid], base_s.grad[valid[:, :4]], rtol=1e-12, atol=0)
    assert (pad_s.grad[~valid] == 0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("gap", [50.0, 100.0])
def test_skd_kl_peaky_and_half_precision(dtype, gap):
    zt = torch.full((2, 4, 5), -1e4)
    zt[:, :, 0] = 0.0
    zt[:, 1::2, 2] = gap
    zt[:, 0::2, 0] = gap
    zs = torch.zeros(2, 4, 5)
    zs[:, :, 3] = gap
    zs_h = zs.to(dtype).requires_grad_(True)
    lengths = torch.tensor([4, 3])
    out = skd_kl(zs_h, zt.to(dtype), lengths, temperature=2.0)
    out.backward()
    assert out.dtype == torch.float32 and torch.isfinite(out) and torch.isfinite(zs_h.grad.float()).all()
    # Teacher spikes where the student puts gap/tau less logit: KL ~ gap / tau per frame, times tau^2.
    assert out.item() == pytest.approx(4 * gap / 2, rel=1e-3)


def test_skd_kl_bad_inputs():
    zs, zt = random_pair(seed=7)
    with pytest.raises(ValueError, match="frames='blank'"):
        skd_kl(zs, zt, torch.tensor([6, 6, 6]), frames="blank")
    with pytest.raises(ValueError, match="token list"):
        skd_kl(zs, zt[..., :3], torch.tensor([6, 6, 6]))


@pytest.mark.parametrize("epoch, expected", [
    (0, 0.3), (1, 0.3), (5, 0.3),     # up to ramp_start: alpha_start
    (7.5, 0.4), (10, 0.5), (12, 0.58),  # linear from 0.3 at 5 to 0.7 at 15
    (15, 0.7), (16, 0.7), (100, 0.7),  # from ramp_end on: alpha_end
])
def test_skd_alpha_default_schedule(epoch, expected):
    assert skd_alpha(epoch, ramp_start=5, ramp_end=15) == pytest.approx(expected, abs=1e-12)


def test_skd_alpha_custom_and_step():
    kw = dict(alpha_start=0.9, alpha_end=0.1, ramp_start=2, ramp_end=6)
    assert [skd_alpha(e, **kw) for e in (1, 2, 3, 4, 5, 6, 7)] == pytest.approx([0.9, 0.9, 0.7, 0.5, 0.3, 0.1, 0.1])
    # ramp_start == ramp_end: a step to alpha_end at that epoch.
    assert [skd_alpha(e, ramp_start=4, ramp_end=4) for e in (3, 4, 5)] == pytest.approx([0.3, 0.7, 0.7])
    assert isinstance(skd_alpha(3, ramp_start=1, ramp_end=5), float)


def test_skd_alpha_bad_arguments():
    with pytest.raises(ValueError, match=r"ramp_start \(10\) must be <= ramp_end \(5\)"):
        skd_alpha(3, ramp_start=10, ramp_end=5)
    with pytest.raises(ValueError, match="alpha_end"):
        skd_alpha(3, alpha_end=1.5, ramp_start=1, ramp_end=5)
    with pytest.raises(ValueError, match="epoch"):
        skd_alpha(math.nan, ramp_start=1, ramp_end=5)
    with pytest.raises(TypeError):
        skd_alpha(3)  # ramp_start and ramp_end have no default
