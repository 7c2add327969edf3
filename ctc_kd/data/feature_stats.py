"""Feature statistics and shape files with ESPnet's collect_stats, split over parallel jobs, resumable.

Each shard of the utterances is one job (--shard K --num_shards N, on this machine or a cluster, into
OUTPUT_DIR/split<N>/<K>); --merge_shards N aggregates them (ctc_kd.shards). --nj N does both here.
"""
import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ctc_kd import shards
from ctc_kd.complete_files import write_text

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
    path = out_dir / "features_config.yaml"
    features = {k: loaded[k] for k in FEATURE_KEYS if k in loaded}
    features["model_conf"] = {"ctc_weight": 1.0}  # ESPnet builds a model to collect statistics: the smallest it can
    write_text(path, yaml.safe_dump(features))  # the shards of one run write it side by side: each its own partial
    return path


def wav_keys(data_dir: str):
    """The utterance ids of a data dir's wav.scp, sorted; an empty one is an error."""
    scp = Path(data_dir) / "wav.scp"
    keys = sorted(line.split(maxsplit=1)[0] for line in scp.read_text(encoding="utf-8").splitlines() if line.strip())
    if not keys:
        raise SystemExit(f"ERROR: {scp} is empty: nothing to compute statistics on")
    return keys


def collect_stats_options(args, train_keys: Path, valid_keys: Path, out: Path):
    """ESPnet's --collect_stats options of one job: its keys of both sets, the recipe's tokens."""
    command = ["--collect_stats", "true", "--config", str(args.config),
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


def settings(args) -> dict:
    """What a shard's statistics depend on: the features, the data and the tokens (its record must match)."""
    return {"features": Path(args.config).read_text(encoding="utf-8"), "train_dir": str(Path(args.train_dir).resolve()),
            "valid_dir": str(Path(args.valid_dir).resolve()), "token_type": args.token_type,
            "token_list": str(Path(args.token_list).resolve()), "bpemodel": args.bpemodel}


def run_shard(args, shard: int, num_shards: int) -> int:
    """Shard K's statistics with ESPnet's collect_stats, in this process, into OUT/split<N>/<K>; skips a done one."""
    out = shards.shard_dir(args.output_dir, shard, num_shards)
    if shards.done(args.output_dir, shard, num_shards, settings(args)):
        logging.info(f"skip {out}: done")
        return 0
    train, valid = wav_keys(args.train_dir), wav_keys(args.valid_dir)
    used = min(num_shards, len(train), len(valid))  # the valid set may have fewer utterances than shards
    if shard > used:
        logging.info(f"shard {shard}: nothing to do ({used} shards hold the {len(valid)} valid utterances)")
        shards.write_record(args.output_dir, shard, num_shards, settings(args), {"empty": True})
        return 0
    keys = {}
    for part, part_keys in (("train", train), ("valid", valid)):
        keys[part] = out / f"keys.{part}"
        write_text(keys[part], "".join(f"{k}\n" for k in shards.select(part_keys, shard, used)))
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    from espnet2.tasks.asr import ASRTask  # the statistics of ESPnet's own model: the features are all that count

    ASRTask.main(cmd=collect_stats_options(args, keys["train"], keys["valid"], out))
    shards.write_record(args.output_dir, shard, num_shards, settings(args), {"empty": False})
    return 0


def merge(args, num_shards: int) -> int:
    """ESPnet's aggregation of the N shards into OUT/train and OUT/valid, shape files sorted by utterance (the same
    whatever N), written beside and renamed into place; refused while a shard has not finished."""
    out = args.output_dir
    records = shards.read_records(out, num_shards, settings(args), args.shard_log)
    parts = [shards.shard_dir(out, k, num_shards) for k, r in enumerate(records, start=1) if not r["empty"]]
    from espnet2.bin.aggregate_stats_dirs import aggregate_stats_dirs

    with tempfile.TemporaryDirectory(prefix=".aggregate.", dir=out) as tmp:
        aggregate_stats_dirs(input_dir=parts, output_dir=tmp, log_level="INFO", skip_sum_stats=False)
        for part in ("train", "valid"):
            for shape in Path(tmp, part).glob("*_shape"):
                lines = shape.read_text(encoding="utf-8").splitlines(keepends=True)
                shape.write_text("".join(sorted(lines, key=lambda line: line.split(maxsplit=1)[0])), encoding="utf-8")
            shutil.copyfile(Path(tmp, part, "text_shape"), Path(tmp, part, f"text_shape.{args.token_type}"))
            if (out / part).exists():
                os.replace(out / part, Path(tmp) / f"{part}.old")
            os.replace(Path(tmp, part), out / part)
    logging.info(f"wrote {out}/train/feats_stats.npz and the shape files from {len(parts)} shard(s)")
    return 0


def run_here(args) -> int:
    """--nj shards as processes on this machine (each skipping itself when done), then the merge."""
    (args.output_dir / "logs").mkdir(parents=True, exist_ok=True)
    base = [sys.executable, "-m", "ctc_kd.bin.collect_stats", "--config", str(args.original_config), "--output_dir",
            str(args.output_dir), "--train_dir", args.train_dir, "--valid_dir", args.valid_dir, "--token_type",
            args.token_type, "--token_list", args.token_list] + (["--bpemodel", args.bpemodel] if args.bpemodel else [])
    running = []
    for shard in range(1, args.nj + 1):
        log = args.output_dir / "logs" / f"stats.{shard}.log"
        with log.open("w", encoding="utf-8") as f:
            command = base + ["--shard", str(shard), "--num_shards", str(args.nj)]
            running.append((log, subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT)))
    logging.info(f"computing feature statistics in {args.nj} job(s), logs in {args.output_dir}/logs")
    failed = [str(log) for log, process in running if process.wait() != 0]
    if failed:
        raise SystemExit(f"ERROR: feature statistics failed, see {', '.join(failed)}")
    return merge(args, args.nj)


def collect_stats(args: argparse.Namespace) -> int:
    """Statistics of the training set's features into args.output_dir: one shard, the merge of N, or --nj of both.

    args holds ctc_kd.bin.collect_stats's options: config, output_dir, train_dir, valid_dir, token_type, token_list,
    bpemodel, nj, shard, num_shards, merge_shards, shard_log.
    """
    args.output_dir.mkdir(parents=True, exist_ok=True)
    args.original_config, args.config = args.config, features_config(Path(args.config), args.output_dir)
    try:
        if args.merge_shards is not None:
            return merge(args, args.merge_shards)
        if args.shard is not None:
            shards.check_shard(args.shard, args.num_shards)
            return run_shard(args, args.shard, args.num_shards)
        return run_here(args)
    except shards.ShardError as error:
        raise SystemExit(f"ERROR: {error}") from None
