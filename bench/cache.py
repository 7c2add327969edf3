"""The teacher-output cache: write speed, disk per hour of audio, and how far batched online teacher outputs drift
from the cached (one utterance at a time) ones.

    python -m bench.cache [--device cuda] [--utterances 200] [--teacher_dir egs2/cathy/asr1/exp/round1/teacher]

Drift: the utterances are batched as ESPnet's length-sorted numel batches group them (similar lengths together) and
run through the teacher exactly as online KD does (the student's frontend features, one padded batch); on every
frame both runs have, the log-posteriors are compared with the cache, and so are the argmax token and the blank /
non-blank decision the KD terms are built on. ESPnet's conformer is not padding-invariant, so these differ.
"""
import shutil
import sys
import time
from pathlib import Path

import kaldiio
import torch

from bench import common
from ctc_kd.cache.format import unpack_batch


def write(args, work: Path, teacher, paths, nj: int, hidden: bool):
    from ctc_kd.cache.writer import write_cache

    out = work / f"cache_nj{nj}{'_hidden' if hidden else ''}"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    meta = write_cache(teacher_config=teacher[0], teacher_model_file=teacher[1],
                       data_dir=str(common.write_data_dir(paths, work / "cache_data")), out_dir=str(out),
                       topk=args.topk, hidden_layers=[-1] if hidden else [], nj=nj, device=args.device)
    wall = time.perf_counter() - start
    hours = meta.audio_seconds / 3600
    sizes = {p.name.split(".")[0]: 0 for p in (out / "shards").glob("*.ark")}
    for p in (out / "shards").glob("*.ark"):
        sizes[p.name.split(".")[0]] += p.stat().st_size
    return out, {"nj": nj, "wall_seconds": wall, "x_real_time": meta.audio_seconds / wall,
                 "mb_per_hour": {name: size / 1e6 / hours for name, size in sizes.items()},
                 "audio_hours": hours, "frames": meta.num_frames}


@torch.no_grad()
def drift(teacher, cache: Path, audio, batch_size: int, device: str):
    """Batched-online vs cached teacher posteriors on the frames both have."""
    from ctc_kd.teacher import load_teacher

    model, _ = load_teacher(*teacher)
    model.to(device)
    cached = kaldiio.load_scp(str(cache / "teacher_posteriors.scp"))
    keys = sorted(audio, key=lambda k: -len(audio[k]))
    vocab = len(model.token_list)
    max_diff, diff_sum, frames, argmax_changed, blank_changed, length_changed = 0.0, 0.0, 0, 0, 0, 0
    for start in range(0, len(keys), batch_size):
        group = keys[start:start + batch_size]
        batch = common.speech_batch({k: audio[k] for k in group}, device)
        order = sorted(group)
        out, lengths = model.encode(batch["speech"], batch["speech_lengths"])
        log_probs = torch.log_softmax(model.ctc.ctc_lo(out), -1).cpu()
        lengths = lengths.cpu()
        for i, key in enumerate(order):
            buckets = unpack_batch(torch.from_numpy(cached[key])[None], vocab)
            n = min(int(lengths[i]), buckets.ids.shape[1])
            length_changed += int(lengths[i]) != buckets.ids.shape[1]
            online = log_probs[i, :n]
            ids = buckets.ids[0, :n]
            gathered = torch.cat([online[:, :1], online.gather(-1, ids)], dim=-1)
            reference = buckets.log_probs[0, :n, : ids.shape[1] + 1]
            diff = (gathered - reference).abs()
            max_diff = max(max_diff, float(diff.max()))
            diff_sum += float(diff.mean(-1).sum())
            frames += n
            argmax_changed += int((online.argmax(-1) != torch.where(reference[:, 0] >= reference[:, 1], 0,
                                                                     ids[:, 0])).sum())
            blank_changed += int(((online.argmax(-1) == 0) != (reference[:, 0] >= reference[:, 1])).sum())
    return {"batch_size": batch_size, "frames": frames, "max_abs_logprob_diff": max_diff,
            "mean_abs_logprob_diff": diff_sum / frames, "argmax_changed_share": argmax_changed / frames,
            "blank_decision_changed_share": blank_changed / frames,
            "utterances_with_other_frame_count": length_changed}


def main(argv=None) -> int:
    parser = common.base_parser(__doc__)
    parser.add_argument("--utterances", type=int, default=200)
    parser.add_argument("--topk", type=int, default=8)
    parser.add_argument("--batch_size", type=int, default=16, help="online batches for the drift measurement")
    parser.add_argument("--teacher_dir", default=None, help="a trained teacher's exp dir (default: random weights)")
    args = parser.parse_args(argv)
    work = common.setup(args)
    paths = common.utterances(args.utterances, offset=1)
    teacher = common.saved_teacher(work, args.teacher_dir)
    writes = [write(args, work, teacher, paths, nj, hidden) for nj, hidden in ((1, False), (2, False), (2, True))]
    audio = common.read_audio(paths)
    figures = {
        "teacher": args.teacher_dir or "random Cathy teacher (8 x 144 conformer CTC)",
        "topk": args.topk,
        "writes": [w for _, w in writes],
        "online_vs_cached": drift(teacher, writes[0][0], audio, args.batch_size, args.device),
    }
    common.write_result("cache", args, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
