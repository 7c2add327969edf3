"""Join a data dir's N shard alignment analyses into one: alignment.json with the whole set's numbers (the shards'
exact counts and offset histograms added up), offsets.png of them, and posteriors.png of the whole set's utterance."""
import argparse
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import List

from ctc_kd import shards
from ctc_kd.alignment.analyse import analyse
from ctc_kd.alignment.compare import pick_plot_utt
from ctc_kd.analysis.spike_timing import AlignmentTotals
from ctc_kd.complete_files import write_text, written_whole
from ctc_kd.data.datadir import DataDir, restrict
from ctc_kd.experiment.layout import ALIGNMENT, OFFSETS_PNG, POSTERIORS_PNG
from ctc_kd.inference.audio import audio_lengths

log = logging.getLogger(__name__)


def check_shard(info: dict, path: Path, args: argparse.Namespace, shard: int) -> None:
    """A shard analysed its own split of the data dir with these models and --max_offset, after both were exported."""
    wanted = {"data_dir": shards.shard_dir(args.data_dir, shard, args.num_shards), "teacher": Path(args.teacher_dir),
              "student": Path(args.student_dir)}
    for key, value in wanted.items():
        if Path(info[key]).resolve() != value.resolve():
            raise shards.ShardError(f"{path} has {key} {info[key]}, not {value}: analyse shard {shard} again")
    if info["max_offset"] != args.max_offset:
        raise shards.ShardError(f"{path} was analysed with --max_offset {info['max_offset']}, not {args.max_offset}:"
                                f" analyse shard {shard} again")
    for model in (args.teacher_dir, args.student_dir):
        weights = Path(model) / "model.pth"
        if weights.is_file() and path.stat().st_mtime < weights.stat().st_mtime:
            raise shards.ShardError(f"{path} is older than the model {weights}: analyse shard {shard} again")


def plot_of_whole_set(args: argparse.Namespace, infos: List[dict], paths: List[Path]) -> str:
    """Put posteriors.png of the whole set's plot utterance into OUT_DIR (its shard's, or drawn again); its id."""
    data_dir, out = Path(args.data_dir), Path(args.out_dir)
    _, lengths, _ = audio_lengths(data_dir, None)
    plot_utt = pick_plot_utt(lengths, args.plot_utt, data_dir / "wav.scp")
    with written_whole(out / POSTERIORS_PNG) as partial:
        drawn = [path.parent / POSTERIORS_PNG for info, path in zip(infos, paths) if info["plot_utt"] == plot_utt]
        if drawn:
            partial.write_bytes(drawn[0].read_bytes())
        else:
            log.info(f"drawing {plot_utt}, the whole set's plot utterance: both models run on it alone")
            with tempfile.TemporaryDirectory(prefix="ctc_kd_alignment_plot.") as tmp:
                maps = DataDir(data_dir).read_all(required=("wav.scp",))
                DataDir(Path(tmp) / "data").write_all(restrict(maps, [plot_utt]))
                alone = argparse.Namespace(**{**vars(args), "data_dir": str(Path(tmp) / "data"),
                                              "out_dir": str(Path(tmp) / "out"), "plot_utt": plot_utt})
                analyse(alone)
                os.replace(Path(tmp) / "out" / POSTERIORS_PNG, partial)
    return plot_utt


def merge(args: argparse.Namespace) -> dict:
    """Write OUT_DIR's plots and alignment.json from its N shards; returns alignment.json's content."""
    from ctc_kd.analysis.plots import plot_histogram

    out = Path(args.out_dir)
    paths = shards.finished(out, args.num_shards, ALIGNMENT, args.shard_log)
    infos, totals = [], AlignmentTotals()
    for shard, path in enumerate(paths, start=1):
        info = json.loads(path.read_text(encoding="utf-8"))
        check_shard(info, path, args, shard)
        infos.append(info)
        totals.merge(AlignmentTotals.from_summary(info))
    summary = totals.summary()
    plot_utt = plot_of_whole_set(args, infos, paths)
    with written_whole(out / OFFSETS_PNG) as partial:
        plot_histogram(partial, summary, args.hist_clip, heading=f"{args.student_dir} vs {args.teacher_dir}")
    info = {**infos[0], "data_dir": str(args.data_dir), **summary, "plot_utt": plot_utt,
            "audio_seconds": sum(part["audio_seconds"] for part in infos),
            "seconds": sum(part["seconds"] for part in infos), "num_shards": args.num_shards}
    write_text(out / ALIGNMENT, json.dumps(info, indent=2) + "\n")
    shares = ", ".join(f"{name} {'n/a' if summary[key] is None else f'{summary[key] * 100:.2f}%'}"
                       for name, key in (("exact", "exact_share"), ("missed", "miss_rate")))
    log.info(f"wrote {out}/{ALIGNMENT} from {args.num_shards} shards: {summary['teacher_spikes']} teacher spikes: "
             f"{shares} ({summary['utterances']} utterances)")
    return info
