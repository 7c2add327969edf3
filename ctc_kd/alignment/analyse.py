"""A student's spike timing against its teacher on a data dir, written as the plots and then alignment.json."""
import argparse
import contextlib
import json
import logging
import tempfile
from pathlib import Path
from typing import List, Optional

import torch

from ctc_kd.alignment.compare import compare, pick_plot_utt
from ctc_kd.alignment.identity import analysed_by, export_digest, made_by
from ctc_kd.alignment.pair import check_pair, load_model
from ctc_kd.complete_files import write_text
from ctc_kd.data.datadir import read_kv
from ctc_kd.experiment.layout import ALIGNMENT, ALIGNMENT_LOG, OFFSETS_PNG, POSTERIORS_PNG
from ctc_kd.experiment.output_record import MADE_BY
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

    args holds ctc_kd.bin.alignment's options for one student: teacher_dir, student_dir, data_dir, out_dir, max_offset,
    plot_utt, hist_clip, batch_size, batch_bins, log_every, ngpu, num_threads.
    """
    return analyse_students(args, [args.student_dir], [args.out_dir])[0]


def analyse_students(args: argparse.Namespace, student_dirs: List[str], out_dirs: List[str],
                     skip_analysed: bool = False) -> List[dict]:
    """Each student against the teacher, in one process: ESPnet and the teacher load once for all of them.

    Each student's log lines (an error included) also go to its own OUT_DIR/alignment.log. With skip_analysed, a
    student whose alignment.json records these weights, this wav.scp and these options is kept as it is.
    """
    for name in ("batch_size", "log_every", "hist_clip"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.max_offset is not None and args.max_offset < 0:
        raise ValueError(f"--max_offset must be 0 or more, got {args.max_offset}")
    if len(student_dirs) != len(out_dirs):
        raise ValueError(f"{len(student_dirs)} --student_dir but {len(out_dirs)} --out_dir: give one out_dir per "
                         "student, in the same order")
    teacher_weights = export_digest(args.teacher_dir)
    records = [made_by(teacher_weights, export_digest(student), args.data_dir, args) for student in student_dirs]
    infos = [None] * len(student_dirs)
    if skip_analysed:
        for number, (out_dir, record) in enumerate(zip(out_dirs, records)):
            if analysed_by(out_dir) == record:
                log.info(f"skip {out_dir}: analysed already with these weights, this wav.scp and these options")
                infos[number] = json.loads((Path(out_dir) / ALIGNMENT).read_text(encoding="utf-8"))
    todo = [number for number, info in enumerate(infos) if info is None]
    if not todo:
        return infos
    device = inference_device(args.ngpu, args.num_threads)
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    with tempfile.TemporaryDirectory(prefix="ctc_kd_alignment.") as tmp:
        teacher = load_model(args.teacher_dir, Path(tmp) / "teacher", device)
        data_dir = Path(args.data_dir)
        wav_scp, lengths, sample_rate = audio_lengths(data_dir, model_sample_rate(teacher.config))
        plot_utt = pick_plot_utt(lengths, args.plot_utt, data_dir / "wav.scp")
        text = read_kv(data_dir / "text").get(plot_utt) if (data_dir / "text").is_file() else None
        for number in todo:
            student_dir, out_dir = student_dirs[number], out_dirs[number]
            with _own_log(Path(out_dir)):
                student = load_model(student_dir, Path(tmp) / f"student{number}", device)
                check_pair(teacher, student)
                totals, plot, seconds = compare(teacher, student, wav_scp, lengths, args, plot_utt)
                infos[number] = _write(args, teacher, student_dir, Path(out_dir), totals.summary(), plot, plot_utt,
                                       text, {"audio_seconds": sum(lengths.values()) / sample_rate,
                                              "seconds": seconds, "device": device, MADE_BY: records[number]})
    return infos


@contextlib.contextmanager
def _own_log(out: Path):
    """While a student is analysed, its log lines also go to out/alignment.log (appended)."""
    out.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(out / ALIGNMENT_LOG, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        yield
    except Exception as error:
        log.error(f"analysing {out} failed: {error}")
        raise
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def _write(args, teacher, student_dir: str, out: Path, summary: dict, plot, plot_utt: str, text, run: dict) -> dict:
    """The plots, then alignment.json (atomically, last); returns its content."""
    from ctc_kd.analysis.plots import plot_histogram, plot_posteriors

    names = (f"teacher {args.teacher_dir}", f"student {student_dir}")
    plot_posteriors(out / POSTERIORS_PNG, plot_utt, plot.teacher, plot.student, plot.result,
                    teacher.config["token_list"], teacher.decoder.blank, names, text)
    plot_histogram(out / OFFSETS_PNG, summary, args.hist_clip, heading=f"{student_dir} vs {args.teacher_dir}")
    info = {
        "teacher": str(args.teacher_dir), "student": str(student_dir), "data_dir": str(args.data_dir),
        **summary,
        "max_offset": args.max_offset, "blank_id": teacher.decoder.blank,
        "audio_seconds": run["audio_seconds"],
        "plot_utt": plot_utt, "plots": {"posteriors": POSTERIORS_PNG, "histogram": OFFSETS_PNG},
        "definitions": DEFINITIONS,
        "batch_size": args.batch_size, "device": run["device"], "threads": torch.get_num_threads(),
        "seconds": run["seconds"],
        MADE_BY: run[MADE_BY],
    }
    write_text(out / ALIGNMENT, json.dumps(info, indent=2) + "\n")
    log.info(f"wrote {out}/{ALIGNMENT}, {POSTERIORS_PNG} ({plot_utt}), {OFFSETS_PNG}")
    log.info(f"{out}: {summary['teacher_spikes']} teacher spikes: mean |offset| {_fmt(summary['mean_abs_offset'])} "
             f"frames, exact {_fmt(summary['exact_share'], 100)}%, "
             f"within ±{summary['near_frames']} {_fmt(summary['near_share'], 100)}%, "
             f"missed {_fmt(summary['miss_rate'], 100)}%")
    return info


def _fmt(value: Optional[float], scale: float = 1.0) -> str:
    """A share or offset for the log, n/a when there is none."""
    return "n/a" if value is None else f"{value * scale:.2f}"
