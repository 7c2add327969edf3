"""Cost of each KD loss (forward + backward) relative to the CTC loss on the same batch of logits.

    python -m bench.losses [--device cuda] [--vocab 31 500 5000]

A batch shaped like Cathy training (16 utterances, up to 300 frames after 4x subsampling, lengths spread out) at
character and BPE vocabulary sizes; hidden-state KD at width 256. The KD terms must be a small fraction of the
CTC loss: they are vectorised over frames and utterances.
"""
import sys

import torch

from bench import common
from ctc_kd import losses
from ctc_kd.losses import bucketed, posterior


def batch(vocab: int, device: str, frames: int = 300, size: int = 16, width: int = 256):
    g = torch.Generator().manual_seed(0)
    lengths = torch.linspace(frames // 3, frames, size).long()
    student = torch.randn(size, frames, vocab, generator=g).to(device).requires_grad_()
    teacher = (torch.randn(size, frames, vocab, generator=g) * 3).to(device)
    teacher[..., 0] += 2.0
    targets = torch.randint(1, vocab, (size, frames // 4), generator=g).to(device)
    target_lengths = (lengths // 4).clamp(min=1).to(device)
    hidden_s = torch.randn(size, frames, width, generator=g).to(device).requires_grad_()
    hidden_t = torch.randn(size, frames, width, generator=g).to(device)
    return student, teacher, lengths.to(device), targets, target_lengths, hidden_s, hidden_t


def terms(vocab: int, device: str):
    student, teacher, lengths, targets, target_lengths, hidden_s, hidden_t = batch(vocab, device)
    cache = bucketed.teacher_buckets(torch.log_softmax(teacher, -1), min(8, vocab - 1))
    options = dict(blank_id=0, temperature=1.0, frame_rule="argmax", blank_threshold=0.5)

    def backward(fn):
        def run():
            student.grad = hidden_s.grad = None
            fn().backward()
        return run

    def ctc():
        log_probs = torch.log_softmax(student, -1).transpose(0, 1)
        return torch.nn.functional.ctc_loss(log_probs, targets, lengths, target_lengths, reduction="sum",
                                            zero_infinity=True) / student.shape[0]

    def cached_fkl():
        p = bucketed.prepare_bucketed_posteriors(student, cache, lengths, **options)
        return posterior.fkl_from_logprobs(p.student, p.teacher, p.valid, p.sets)

    return {
        "ctc": backward(ctc),
        "sfmx_kd": backward(lambda: losses.sfmx_kd(student, teacher, lengths)),
        "guide_ctc": backward(lambda: losses.guide_ctc(student, teacher, lengths)),
        "blank_elim_kd": backward(lambda: losses.sfmx_kd(student, teacher, lengths, frames="nonblank")),
        "binary_kd": backward(lambda: losses.binary_kd(student, teacher, lengths)),
        "fkl_A": backward(lambda: losses.fkl(student, teacher, lengths)),
        "fkl_B": backward(lambda: losses.fkl(student, teacher, lengths, variant="B")),
        "repr_kd": backward(lambda: losses.factorized_repr_kd(hidden_s, hidden_t, teacher, lengths)),
        "skd_kl": backward(lambda: losses.skd_kl(student, teacher, lengths)),
        "fkl_A_cached_top8": backward(cached_fkl),
    }


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--vocab", type=int, nargs="+", default=[31, 500, 5000])
    args = parser.parse_args(argv)
    common.setup(args)
    figures = {"batch": "16 utterances x up to 300 frames (lengths 100-300), hidden width 256"}
    for vocab in args.vocab:
        times = common.interleaved_times(terms(vocab, args.device), args.repeats, args.device)
        ctc = times["ctc"]["median_s"]
        figures[f"vocab_{vocab}"] = {
            "ctc_ms": 1000 * ctc,
            "ratio_to_ctc": {name: t["median_s"] / ctc for name, t in times.items() if name != "ctc"},
        }
    common.write_result("losses", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
