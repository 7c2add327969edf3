"""Spike-timing analysis of a student against its teacher on a data dir: alignment.json and PNG plots.

Both models (exported plain ESPnet models, as ctc_kd.bin.export_student writes them) run batched and
padding-invariantly (as ctc_kd.bin.decode's greedy decoder), so every utterance's posteriors equal running it alone.
For each utterance the teacher's spikes are matched to the student's (definitions: ctc_kd.analysis.spike_timing).
Writes into OUT_DIR: posteriors.png (one utterance: both models' blank and best non-blank probability over time,
spikes labelled with their tokens), offsets.png (the offset histogram), then alignment.json (the numbers, the
models, the data; written last, atomically).

    python -m ctc_kd.bin.alignment --teacher_dir exp/teacher/export --student_dir exp/student_skd/export \\
        --data_dir dump/raw/dev --out_dir exp/student_skd/alignment/dev
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from ctc_kd.analysis.spike_timing import AlignmentTotals, SpikeOffsets, spike_offsets
from ctc_kd.bin.decode import audio_lengths, model_files, model_sample_rate, read_audio
from ctc_kd.cli import run
from ctc_kd.inference.device import inference_device
from ctc_kd.data.datadir import atomic_path, read_kv

log = logging.getLogger(__name__)
POSTERIORS_PNG, HISTOGRAM_PNG = "posteriors.png", "offsets.png"
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


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.alignment",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--teacher_dir", required=True, help="the teacher's export: config.yaml + model.pth")
    parser.add_argument("--student_dir", required=True, help="the student's export: config.yaml + model.pth")
    parser.add_argument("--data_dir", required=True,
                        help="a dumped data dir with wav.scp (e.g. dump/raw/dev); its text titles posteriors.png")
    parser.add_argument("--out_dir", required=True, help="writes alignment.json, posteriors.png, offsets.png")
    parser.add_argument("--max_offset", type=int, default=None,
                        help="a teacher spike with no same-token student spike within this many frames is a miss "
                             "(default: no limit, only a token the student never emits in the utterance is a miss)")
    parser.add_argument("--plot_utt", default=None,
                        help="the utterance of posteriors.png (default: the median-length one)")
    parser.add_argument("--hist_clip", type=int, default=10,
                        help="offsets.png shows offsets -N..N; larger ones are counted in the edge bars")
    parser.add_argument("--batch_size", type=int, default=16, help="utterances per batch")
    parser.add_argument("--batch_bins", type=int, default=0,
                        help="also cap a batch at this many padded samples (utterances x longest); 0: no cap")
    parser.add_argument("--log_every", type=int, default=100, help="a progress line every N utterances")
    parser.add_argument("--ngpu", type=int, choices=(0, 1), default=0, help="1: run the models on the GPU")
    parser.add_argument("--num_threads", type=int, default=0,
                        help="CPU threads for torch (0: torch's default); fewer than the free cores avoids contention")
    return parser


@dataclass
class Model:
    """One side of the comparison: its export dir, its config and a padding-invariant greedy CTC runner."""

    dir: Path
    config: dict
    decoder: object  # ctc_kd.inference.greedy.GreedyCTCDecoder

    @property
    def config_file(self) -> Path:
        return self.dir / "config.yaml"

    @property
    def volume(self) -> Optional[float]:
        return (self.config.get("preprocessor_conf") or {}).get("speech_volume_normalize")


def load_model(model_dir: str, tmp: Path, device: str) -> Model:
    """Load an export as ctc_kd.bin.decode does for --model_dir (side files relocated, weights loaded strictly)."""
    from ctc_kd.inference.greedy import GreedyCTCDecoder, load_plain_model

    tmp.mkdir(parents=True)
    names = argparse.Namespace(model_dir=model_dir, config=None, model_file=None, export_dir=None,
                               skd_full_model=False)
    config_path, model_path = model_files(names, tmp)
    model, config = load_plain_model(config_path, model_path, device)
    return Model(Path(model_dir), config, GreedyCTCDecoder(model, config, device))


def check_pair(teacher: Model, student: Model) -> None:
    """Same token list, sample rate and frame rate, or an error naming both config files and the fix."""
    names = f"teacher {teacher.config_file}, student {student.config_file}"
    t_tokens, s_tokens = list(teacher.config["token_list"]), list(student.config["token_list"])
    if t_tokens != s_tokens or teacher.decoder.blank != student.decoder.blank:
        first = next((i for i, (a, b) in enumerate(zip(t_tokens, s_tokens)) if a != b),
                     min(len(t_tokens), len(s_tokens)))
        raise ValueError(
            f"the token lists differ ({names}): {len(t_tokens)} vs {len(s_tokens)} tokens, first difference at id "
            f"{first}; spikes are compared token by token, so analyse a student trained with the teacher's token "
            "list (the recipe's data/token_list/.../tokens.txt)")
    t_fs, s_fs = model_sample_rate(teacher.config), model_sample_rate(student.config)
    if t_fs != s_fs:
        raise ValueError(f"the models expect different sample rates ({names}): {t_fs} vs {s_fs} Hz (frontend_conf.fs)"
                         "; compare models trained on the same audio")
    generator = np.random.default_rng(0)
    probes = [generator.standard_normal(int((t_fs or 16000) * s)).astype(np.float32) * 0.1 for s in (1.0, 2.37)]
    t_frames = [len(h.posteriors) for h in teacher.decoder.decode_batch(probes, posteriors=True)]
    s_frames = [len(h.posteriors) for h in student.decoder.decode_batch(probes, posteriors=True)]
    if t_frames != s_frames:
        def setting(model, section, key):
            return (model.config.get(section) or {}).get(key, "default")

        raise ValueError(
            f"the frame rates differ ({names}): for {[len(p) for p in probes]} samples the teacher gives {t_frames} "
            f"frames, the student {s_frames}; spike offsets need one frame rate: compare models with the same "
            f"frontend_conf.hop_length ({setting(teacher, 'frontend_conf', 'hop_length')} vs "
            f"{setting(student, 'frontend_conf', 'hop_length')}) and encoder_conf.input_layer subsampling "
            f"({setting(teacher, 'encoder_conf', 'input_layer')} vs {setting(student, 'encoder_conf', 'input_layer')})")


def pick_plot_utt(lengths: Dict[str, int], wanted: Optional[str], wav_scp_path: Path) -> str:
    """The requested utterance, or the median-length one (ties by id)."""
    if wanted is not None:
        if wanted not in lengths:
            raise ValueError(f"--plot_utt {wanted} is not in {wav_scp_path}; give one of its utterance ids")
        return wanted
    order = sorted(lengths, key=lambda utt: (lengths[utt], utt))
    return order[len(order) // 2]


@dataclass
class PlotData:
    teacher: np.ndarray
    student: np.ndarray
    result: SpikeOffsets


def compare(teacher: Model, student: Model, wav_scp, lengths, args, plot_utt: str):
    """Run both models batch by batch; (totals, the plot utterance's posteriors and spikes)."""
    from ctc_kd.inference.greedy import make_batches

    totals, plot, start, done = AlignmentTotals(), None, time.perf_counter(), 0
    batches = make_batches(lengths, args.batch_size, args.batch_bins)
    log.info(f"comparing {len(lengths)} utterances in {len(batches)} batches")
    for batch in batches:
        t_speech = [read_audio(wav_scp[utt], teacher.volume) for utt in batch]
        s_speech = t_speech if student.volume == teacher.volume else [read_audio(wav_scp[u], student.volume)
                                                                      for u in batch]
        t_hyps = teacher.decoder.decode_batch(t_speech, posteriors=True)
        s_hyps = student.decoder.decode_batch(s_speech, posteriors=True)
        for utt, t_hyp, s_hyp in zip(batch, t_hyps, s_hyps):
            if t_hyp.posteriors.shape != s_hyp.posteriors.shape:
                raise ValueError(f"'{utt}' ({wav_scp[utt]}): the teacher gives {t_hyp.posteriors.shape[0]} frames, "
                                 f"the student {s_hyp.posteriors.shape[0]}: the models' frame rates differ "
                                 f"({teacher.config_file}, {student.config_file})")
            result = spike_offsets(t_hyp.posteriors, s_hyp.posteriors, teacher.decoder.blank, args.max_offset)
            totals.add(result, len(t_hyp.posteriors))
            if utt == plot_utt:
                plot = PlotData(t_hyp.posteriors, s_hyp.posteriors, result)
        before, done = done, done + len(batch)
        if done // args.log_every > before // args.log_every or done == len(lengths):
            share = totals.summary()["exact_share"]
            log.info(f"analysed {done}/{len(lengths)} utterances in {time.perf_counter() - start:.1f} s: "
                     f"{totals.teacher_spikes} teacher spikes, exact so far "
                     f"{'n/a' if share is None else f'{share * 100:.1f}%'}")
    return totals, plot, time.perf_counter() - start


def analyse(args: argparse.Namespace) -> dict:
    """Compare the two models on the data dir and write the plots and alignment.json; returns its content."""
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
    plot_histogram(out / HISTOGRAM_PNG, summary, args.hist_clip, heading=f"{args.student_dir} vs {args.teacher_dir}")
    info = {
        "teacher": str(args.teacher_dir), "student": str(args.student_dir), "data_dir": str(data_dir),
        **summary,
        "max_offset": args.max_offset, "blank_id": teacher.decoder.blank,
        "audio_seconds": sum(lengths.values()) / sample_rate,
        "plot_utt": plot_utt, "plots": {"posteriors": POSTERIORS_PNG, "histogram": HISTOGRAM_PNG},
        "definitions": DEFINITIONS,
        "batch_size": args.batch_size, "device": device, "threads": torch.get_num_threads(), "seconds": seconds,
    }
    with atomic_path(out / "alignment.json") as path:
        path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log.info(f"wrote {out}/alignment.json, {POSTERIORS_PNG} ({plot_utt}), {HISTOGRAM_PNG}")
    log.info(f"{summary['teacher_spikes']} teacher spikes: mean |offset| {_fmt(summary['mean_abs_offset'])} frames, "
             f"exact {_fmt(summary['exact_share'], 100)}%, "
             f"within ±{summary['near_frames']} {_fmt(summary['near_share'], 100)}%, "
             f"missed {_fmt(summary['miss_rate'], 100)}%")
    return info


def _fmt(value: Optional[float], scale: float = 1.0) -> str:
    return "n/a" if value is None else f"{value * scale:.2f}"


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    return run(lambda: analyse(args) and 0, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
