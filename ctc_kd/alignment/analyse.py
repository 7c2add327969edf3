"""A student's spike timing against its teacher on a data dir, written as the plots and then alignment.json."""
import argparse
import json
import logging
import tempfile
from pathlib import Path
from typing import Optional

import torch

from ctc_kd.alignment.compare import compare, pick_plot_utt
from ctc_kd.alignment.pair import check_pair, load_model
from ctc_kd.data.datadir import atomic_path, read_kv
from ctc_kd.experiment.layout import ALIGNMENT, OFFSETS_PNG, POSTERIORS_PNG
from ctc_kd.inference.audio import audio_lengths, model_sample_rate
from ctc_kd.inference.device import inference_device

log = logging.getLogger(__name__)


DEFINITIONS = {
    "spike": "first frame of a run of consecutive frames whose argmax is the same non-blank token",
    "offset": "student frame - teacher frame, to the nearest student spike of the same token (ties: the earlier); "
              "a student spike may serve several teacher spikes",
    "miss": "a teacher spike with no student spike of its token in the utterance (or none within max_offset)",
    "mean_abs_offset": "over matched teacher spikes",
    "exact_share": "teacher spikes with offset 0 / all teacher spikes",
    "near_share": "teacher spikes with |offset| <= near_frames / all teacher spikes",
    "miss_rate": "missed teacher spikes / all teacher spikes",
}


def analyse(args: argparse.Namespace) -> dict:
    """Compare the two models on the data dir and write the plots and alignment.json; returns its content.

    args holds ctc_kd.bin.alignment's options: teacher_dir, student_dir, data_dir, out_dir, max_offset, plot_utt,
    hist_clip, batch_size, batch_bins, log_every, ngpu, num_threads.
    """
    for name in ("batch_size", "log_every", "hist_clip"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.max_offset is not None and args.max_offset < 0:
        raise ValueError(f"--max_offset must be 0 or more, got {args.max_offset}")
    device = inference_device(args.ngpu, args.num_threads)
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    with tempfile.TemporaryDirectory(prefix="ctc_kd_alignment.") as tmp:
        teacher = load_model(args.teacher_dir, Path(tmp) / "teacher", device)
        student = load_model(args.student_dir, Path(tmp) / "student", device)
        check_pair(teacher, student)
        data_dir = Path(args.data_dir)
        wav_scp, lengths, sample_rate = audio_lengths(data_dir, model_sample_rate(teacher.config))
        plot_utt = pick_plot_utt(lengths, args.plot_utt, data_dir / "wav.scp")
        totals, plot, seconds = compare(teacher, student, wav_scp, lengths, args, plot_utt)
    summary = totals.summary()

    from ctc_kd.analysis.plots import plot_histogram, plot_posteriors

    out = Path(args.out_dir)
    names = (f"teacher {args.teacher_dir}", f"student {args.student_dir}")
    text = read_kv(data_dir / "text").get(plot_utt) if (data_dir / "text").is_file() else None
    plot_posteriors(out / POSTERIORS_PNG, plot_utt, plot.teacher, plot.student, plot.result,
                    teacher.config["token_list"], teacher.decoder.blank, names, text)
    plot_histogram(out / OFFSETS_PNG, summary, args.hist_clip, heading=f"{args.student_dir} vs {args.teacher_dir}")
    info = {
        "teacher": str(args.teacher_dir), "student": str(args.student_dir), "data_dir": str(data_dir),
        **summary,
        "max_offset": args.max_offset, "blank_id": teacher.decoder.blank,
        "audio_seconds": sum(lengths.values()) / sample_rate,
        "plot_utt": plot_utt, "plots": {"posteriors": POSTERIORS_PNG, "histogram": OFFSETS_PNG},
        "definitions": DEFINITIONS,
        "batch_size": args.batch_size, "device": device, "threads": torch.get_num_threads(), "seconds": seconds,
    }
    with atomic_path(out / ALIGNMENT) as path:
        path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log.info(f"wrote {out}/{ALIGNMENT}, {POSTERIORS_PNG} ({plot_utt}), {OFFSETS_PNG}")
    log.info(f"{summary['teacher_spikes']} teacher spikes: mean |offset| {_fmt(summary['mean_abs_offset'])} frames, "
             f"exact {_fmt(summary['exact_share'], 100)}%, "
             f"within ±{summary['near_frames']} {_fmt(summary['near_share'], 100)}%, "
             f"missed {_fmt(summary['miss_rate'], 100)}%")
    return info


def _fmt(value: Optional[float], scale: float = 1.0) -> str:
    """A share or offset for the log, n/a when there is none."""
    return "n/a" if value is None else f"{value * scale:.2f}"
