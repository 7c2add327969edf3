"""KD on cached (top-k + blank + rest) teacher posteriors: exact with k = V - 1, exact blank quantities for any k."""
import numpy as np
import pytest
import torch

from ctc_kd import losses
from ctc_kd.losses import bucketed, posterior
from ctc_kd.losses.hidden import factorized_repr_kd, factorized_repr_kd_from_sets

V = 7
LENGTHS = torch.tensor([9, 6, 3])


def logits_pair(seed=0, blank_bias=1.5):
    g = torch.Generator().manual_seed(seed)
    student = torch.randn(3, 9, V, generator=g, dtype=torch.float64, requires_grad=True)
    teacher = torch.randn(3, 9, V, generator=g, dtype=torch.float64) * 3
    teacher[..., 0] += blank_bias  # a CTC-like share of blank frames
    return student, teacher


def cached(teacher_logits, k):
    return bucketed.teacher_buckets(torch.log_softmax(teacher_logits, dim=-1), k, blank_id=0)


def both(student, teacher, k, temperature=1.0, frame_rule="argmax"):
    options = dict(blank_id=0, temperature=temperature, frame_rule=frame_rule, blank_threshold=0.6)
    online = posterior.prepare_posteriors(student, teacher, LENGTHS, **options)
    buckets = bucketed.prepare_bucketed_posteriors(student, cached(teacher, k), LENGTHS, **options)
    return online, buckets


@pytest.mark.parametrize("temperature", [1.0, 2.5])
@pytest.mark.parametrize("frame_rule", ["argmax", "threshold"])
def test_full_k_equals_online_for_every_term(temperature, frame_rule):
    student, teacher = logits_pair()
    online, cache = both(student, teacher, V - 1, temperature, frame_rule)
    assert torch.equal(online.sets.nonblank, cache.sets.nonblank) and torch.equal(online.sets.blank, cache.sets.blank)
    pairs = {
        "sfmx": lambda p: posterior.sfmx_kd_from_logprobs(p.student, p.teacher, p.valid, p.sets,
                                                          temperature=temperature),
        "sfmx_nonblank": lambda p: posterior.sfmx_kd_from_logprobs(p.student, p.teacher, p.valid, p.sets,
                                                                   temperature=temperature, frames="nonblank"),
        "binary": lambda p: posterior.binary_kd_from_logprobs(p.student, p.teacher, p.valid, blank_id=0,
                                                              temperature=temperature),
        "fkl_A": lambda p: posterior.fkl_from_logprobs(p.student, p.teacher, p.valid, p.sets, blank_id=0,
                                                       temperature=temperature, blank_weight=0.5),
        "fkl_B": lambda p: posterior.fkl_from_logprobs(p.student, p.teacher, p.valid, p.sets, blank_id=0,
                                                       temperature=temperature, variant="B"),
    }
    for name, loss in pairs.items():
        a, b = loss(online), loss(cache)
        ga, = torch.autograd.grad(a, student, retain_graph=True)
        gb, = torch.autograd.grad(b, student, retain_graph=True)
        assert float(a) > 0
        assert float(b) == pytest.approx(float(a), rel=1e-10, abs=1e-12), name
        assert torch.allclose(ga, gb, atol=1e-12), name


def test_guide_ctc_on_the_cache_equals_online_for_any_k():
    student, teacher = logits_pair(1)
    expected = losses.guide_ctc(student, teacher, LENGTHS)
    for k in (1, 3, V - 1):
        _, cache = both(student, teacher, k)
        assert float(bucketed.guide_ctc_bucketed(cache)) == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_small_k_keeps_every_blank_quantity_exact(k):
    student, teacher = logits_pair(2)
    online, cache = both(student, teacher, k)
    assert torch.equal(online.sets.nonblank, cache.sets.nonblank) and torch.equal(online.sets.blank, cache.sets.blank)
    assert 0 < int(cache.sets.nonblank.sum()) < int(cache.valid.sum())
    beta_online = losses.frames.log_beta_from_logprobs(online.teacher, 0)
    beta_cache = losses.frames.log_beta_from_logprobs(cache.teacher, 0)
    assert torch.allclose(beta_online[online.valid], beta_cache[cache.valid], atol=1e-12)
    binary = [posterior.binary_kd_from_logprobs(p.student, p.teacher, p.valid, blank_id=0) for p in (online, cache)]
    assert float(binary[1]) == pytest.approx(float(binary[0]), rel=1e-12)
    # the hidden-state term only needs the frame sets
    g = torch.Generator().manual_seed(5)
    hs, ht = torch.randn(3, 9, 4, generator=g), torch.randn(3, 9, 4, generator=g)
    expected = factorized_repr_kd(hs, ht, teacher, LENGTHS, blank_weight=0.3)
    got = factorized_repr_kd_from_sets(hs, ht, cache.sets, blank_weight=0.3)
    assert float(got) == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("k", [1, 3])
def test_coarsened_kl_is_the_kl_of_the_merged_distributions(k):
    """Independent check in NumPy: merge the tokens outside top-k per frame, then KL; never above the full KL."""
    student, teacher = logits_pair(3)
    online, cache = both(student, teacher, k)
    got = float(posterior.sfmx_kd_from_logprobs(cache.student, cache.teacher, cache.valid, cache.sets))
    p_t = torch.softmax(teacher, -1).numpy()
    p_s = torch.softmax(student.detach(), -1).numpy()
    kls = []
    for b, n in enumerate(LENGTHS.tolist()):
        for t in range(n):
            order = [i for i in np.argsort(-p_t[b, t]) if i != 0][:k]
            rest = [i for i in range(1, V) if i not in order]
            merge = lambda p: np.array([p[0], *p[order], p[rest].sum()])  # noqa: E731
            pt, ps = merge(p_t[b, t]), merge(p_s[b, t])
            kls.append(float(np.sum(pt * (np.log(pt) - np.log(ps)))))
    assert got == pytest.approx(np.mean(kls), rel=1e-9)
    full = float(posterior.sfmx_kd_from_logprobs(online.student, online.teacher, online.valid, online.sets))
    assert got <= full + 1e-12


def test_student_buckets_are_a_distribution_with_gradient():
    student, teacher = logits_pair(4)
    ids = cached(teacher, 2).ids
    folded = bucketed.student_buckets(torch.log_softmax(student, -1), ids)
    assert folded.shape == (3, 9, 4)
    assert torch.allclose(folded.logsumexp(-1), torch.zeros(3, 9, dtype=torch.float64), atol=1e-12)
    folded[..., -1].sum().backward()
    assert student.grad.abs().sum() > 0


def test_padding_never_reaches_the_cached_losses():
    student, teacher = logits_pair(6)
    teacher_cache = cached(teacher, 2)
    garbage = bucketed.TeacherBuckets(
        ids=teacher_cache.ids.clone(), log_probs=teacher_cache.log_probs.clone())
    for b, n in enumerate(LENGTHS.tolist()):
        garbage.log_probs[b, n:] = torch.nan
        garbage.ids[b, n:] = 0
    options = dict(blank_id=0, temperature=1.0, frame_rule="argmax", blank_threshold=0.5)
    clean = bucketed.prepare_bucketed_posteriors(student, teacher_cache, LENGTHS, **options)
    dirty = bucketed.prepare_bucketed_posteriors(student, garbage, LENGTHS, **options)
    for p in (clean, dirty):
        value = posterior.fkl_from_logprobs(p.student, p.teacher, p.valid, p.sets)
        assert torch.isfinite(value)
    assert float(posterior.fkl_from_logprobs(dirty.student, dirty.teacher, dirty.valid, dirty.sets)) == pytest.approx(
        float(posterior.fkl_from_logprobs(clean.student, clean.teacher, clean.valid, clean.sets)), rel=1e-12)


def test_errors_name_the_problem():
    student, teacher = logits_pair()
    with pytest.raises(ValueError, match="top-k must be between 1 and 6"):
        cached(teacher, V)
    foreign = cached(teacher, 2)
    foreign.ids[0, 0, 0] = V + 3
    with pytest.raises(ValueError, match="another token list"):
        bucketed.prepare_bucketed_posteriors(student, foreign, LENGTHS, blank_id=0, temperature=1.0,
                                             frame_rule="argmax", blank_threshold=0.5)
