"""Feature statistics and shape files with ESPnet's collect_stats, split over parallel jobs, resumable."""
import argparse
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import yaml

from ctc_kd.experiment.layout import DONE

# The keys of a training config that decide the features; the rest (model, optimiser, and the keys only ESPnet's dumped
# config.yaml holds, such as required and version) play no part in the statistics.
FEATURE_KEYS = ("frontend", "frontend_conf", "input_size", "use_preprocessor", "speech_volume_normalize",
                "preprocessor", "preprocessor_conf")


def features_config(config: Path, out_dir: Path) -> Path:
    """out_dir/features_config.yaml: the feature keys of a training config, which may be ESPnet's dumped one."""
    with open(config, encoding="utf-8") as f:
        loaded = yaml.safe_load(f)
    if not isinstance(loaded, dict):
        raise SystemExit(f"ERROR: {config} is not a YAML mapping of training options")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "features_config.yaml"
    features = {k: loaded[k] for k in FEATURE_KEYS if k in loaded}
    features["model_conf"] = {"ctc_weight": 1.0}  # ESPnet builds a model to collect statistics: the smallest it can
    path.write_text(yaml.safe_dump(features), encoding="utf-8")
    return path


def split_keys(scp: Path, parts: int, out_dir: Path):
    """Split a wav.scp's keys into `parts` files (ESPnet reads the keys of a batch from its shape files)."""
    keys = [line.split(maxsplit=1)[0] for line in scp.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not keys:
        raise SystemExit(f"ERROR: {scp} is empty: nothing to compute statistics on")
    parts = max(1, min(parts, len(keys)))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for job in range(parts):
        path = out_dir / f"keys.{job + 1}"
        path.write_text("".join(f"{k}\n" for k in keys[job::parts]), encoding="utf-8")
        files.append(path)
    return files


def job_command(args, job: int, train_keys: Path, valid_keys: Path, out: Path):
    """The training tool's --collect_stats call of one job: its keys of both sets, the recipe's tokens."""
    command = [sys.executable, "-m", "ctc_kd.bin.asr_kd_train", "--collect_stats", "true", "--config", str(args.config),
               "--normalize", "none", "--ngpu", "0", "--num_workers", "0", "--output_dir", str(out),
               "--token_type", args.token_type, "--token_list", args.token_list,
               "--train_shape_file", str(train_keys), "--valid_shape_file", str(valid_keys),
               "--model", "espnet"]
    if args.bpemodel:
        command += ["--bpemodel", args.bpemodel]
    for part, folder in (("train", args.train_dir), ("valid", args.valid_dir)):
        command += [f"--{part}_data_path_and_name_and_type", f"{folder}/wav.scp,speech,sound",
                    f"--{part}_data_path_and_name_and_type", f"{folder}/text,text,text"]
    return command


def collect_stats(args: argparse.Namespace) -> int:
    """Statistics of the training set's features into args.output_dir, its jobs' finished parts kept on a re-run.

    args holds ctc_kd.bin.collect_stats's options: config, output_dir, train_dir, valid_dir, token_type, token_list,
    bpemodel, nj.
    """
    out = args.output_dir
    args.config = features_config(Path(args.config), out)
    train_keys = split_keys(Path(args.train_dir) / "wav.scp", args.nj, out / "splits" / "train")
    valid_keys = split_keys(Path(args.valid_dir) / "wav.scp", len(train_keys), out / "splits" / "valid")
    jobs = len(valid_keys)  # the valid set may be smaller than nj
    train_keys = split_keys(Path(args.train_dir) / "wav.scp", jobs, out / "splits" / "train")
    run_jobs(args, train_keys, valid_keys)
    aggregate(out, jobs, args.token_type)
    return 0


def run_jobs(args: argparse.Namespace, train_keys: List[Path], valid_keys: List[Path]) -> None:
    """ESPnet's collect_stats on each pair of key lists side by side, skipping the parts done before."""
    out = args.output_dir
    (out / "logs").mkdir(parents=True, exist_ok=True)
    running = []
    for job in range(1, len(valid_keys) + 1):
        job_dir = out / f"stats.{job}"
        if (job_dir / DONE).exists():
            logging.info(f"skip {job_dir}: done")
            continue
        log = (out / "logs" / f"stats.{job}.log").open("w", encoding="utf-8")
        command = job_command(args, job, train_keys[job - 1], valid_keys[job - 1], job_dir)
        running.append((job, job_dir, log, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)))
    logging.info(f"computing feature statistics in {len(running)} job(s), logs in {out}/logs")
    failed = []
    for job, job_dir, log, process in running:
        if process.wait() != 0:
            failed.append(f"{out}/logs/stats.{job}.log")
        else:
            (job_dir / DONE).touch()
        log.close()
    if failed:
        raise SystemExit(f"ERROR: feature statistics failed, see {', '.join(failed)}")


def aggregate(out: Path, jobs: int, token_type: str) -> None:
    """The jobs' statistics summed into out/train/feats_stats.npz, the shape files named for the token type."""
    command = [sys.executable, "-m", "espnet2.bin.aggregate_stats_dirs", "--output_dir", str(out)]
    for job in range(1, jobs + 1):
        command += ["--input_dir", str(out / f"stats.{job}")]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    for part in ("train", "valid"):
        shutil.copyfile(out / part / "text_shape", out / part / f"text_shape.{token_type}")
    logging.info(f"wrote {out}/train/feats_stats.npz and the shape files")
