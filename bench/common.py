"""What every benchmark shares: the Cathy-sized models, a batch of real speech, interleaved timing, result files."""
import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
CATHY_RECIPE = REPO / "egs2" / "cathy" / "asr1"


def cathy_corpus() -> Path:
    """The full Cathy corpus (real speech for the timed batches), found as the Cathy recipe's db.sh finds it."""
    if os.environ.get("CATHY"):
        return Path(os.environ["CATHY"]) / "cathy"
    beside = REPO.parent / "shared" / "data" / "cathy"
    return beside if beside.is_dir() else CATHY_RECIPE / "downloads" / "cathy"


CONF = REPO / "egs2" / "cathy" / "asr1" / "conf"
RESULTS = REPO / "bench" / "results"
TOKENS = ["<blank>", "<unk>", "<space>", "'", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "<sos/eos>"]


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (a GPU run of the same benchmark)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads on CPU")
    parser.add_argument("--repeats", type=int, default=10, help="timed repetitions per system (median reported)")
    parser.add_argument("--workdir", default="bench/work", help="scratch folder for configs, models and caches")
    parser.add_argument("--out", default=None, help="result JSON (default bench/results/<benchmark>[_cuda].json)")
    return parser


def setup(args: argparse.Namespace) -> Path:
    from ctc_kd.espnet_import import import_espnet_quietly

    import_espnet_quietly()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible to torch")
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    return work


# ---- models ---------------------------------------------------------------------------------------------------
def shared_files(work: Path) -> Dict[str, str]:
    """The character token list and (neutral) global-MVN statistics every benchmark model reads."""
    tokens, stats = work / "tokens.txt", work / "feats_stats.npz"
    tokens.write_text("".join(f"{t}\n" for t in TOKENS))
    np.savez(stats, count=np.array(100), sum=np.zeros(80), sum_square=np.full(80, 100.0))
    return {"token_list": str(tokens), "stats": str(stats)}


def build(config_name: str, work: Path, model_conf: Optional[dict] = None, extra_args: Sequence[str] = (),
          overrides: Optional[dict] = None, files: Optional[Dict[str, str]] = None):
    """A model of egs2/cathy/asr1/conf/<config_name>.yaml, built by ESPnet's task as a training would build it
    (on `files`' token list and statistics, by default shared_files')."""
    from ctc_kd.tasks import ASRKDTask

    files = files or shared_files(work)
    config = yaml.safe_load((CONF / f"{config_name}.yaml").read_text())
    config.update(overrides or {})
    path = work / f"{config_name}.yaml"
    path.write_text(yaml.safe_dump(config))
    argv = ["--config", str(path), "--token_type", "char", "--token_list", files["token_list"],
            "--normalize_conf", f"stats_file={files['stats']}"]
    for key, value in (model_conf or {}).items():
        argv += ["--model_conf", f"{key}={value}"]
    args = ASRKDTask.get_parser().parse_args(argv + list(extra_args))
    return ASRKDTask.build_model(args), vars(args)


def saved_teacher(work: Path, teacher_dir: Optional[str] = None):
    """(config.yaml, weights) of the teacher: a trained one if given, else a random Cathy-sized one (same cost)."""
    if teacher_dir:
        from ctc_kd.experiment.layout import CONFIG, best_checkpoint

        return str(Path(teacher_dir) / CONFIG), str(best_checkpoint(teacher_dir))
    model, args = build("train_teacher", work)
    config, weights = work / "teacher" / "config.yaml", work / "teacher" / "model.pth"
    config.parent.mkdir(exist_ok=True)
    config.write_text(yaml.safe_dump(args))
    torch.save(model.state_dict(), weights)
    return str(config), str(weights)


def parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---- data -----------------------------------------------------------------------------------------------------
def utterances(count: int, offset: int = 0) -> List[Path]:
    """`count` Cathy recordings in a fixed order (every 7th, so lengths vary as in a real set)."""
    corpus = cathy_corpus()
    if not corpus.is_dir():
        raise SystemExit(f"{corpus} is missing: the benchmarks read real speech from the full Cathy corpus; run "
                         f"stage 1 of egs2/cathy/asr1 (it downloads it) or set CATHY to the folder holding cathy/")
    flacs = sorted(corpus.glob("*.flac"))
    picked = flacs[offset::7][:count]
    if len(picked) < count:
        raise SystemExit(f"{corpus} has only {len(picked)} recordings from offset {offset}; asked for {count}")
    return picked


def write_data_dir(paths: Sequence[Path], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "wav.scp").write_text("".join(f"{p.stem} {p}\n" for p in sorted(paths)))
    return out


def read_audio(paths: Sequence[Path]) -> Dict[str, np.ndarray]:
    import soundfile

    return {p.stem: soundfile.read(p, dtype="float32")[0] for p in sorted(paths)}


def speech_batch(audio: Dict[str, np.ndarray], device: str) -> Dict[str, torch.Tensor]:
    """A padded training batch of the recordings with a dummy 20-token transcript each."""
    keys = sorted(audio)
    lengths = torch.tensor([len(audio[k]) for k in keys])
    speech = torch.zeros(len(keys), int(lengths.max()))
    for i, k in enumerate(keys):
        speech[i, : len(audio[k])] = torch.from_numpy(audio[k])
    text = torch.randint(3, len(TOKENS) - 1, (len(keys), 20), generator=torch.Generator().manual_seed(0))
    return {"speech": speech.to(device), "speech_lengths": lengths.to(device), "text": text.to(device),
            "text_lengths": torch.full((len(keys),), 20, device=device)}


def audio_seconds(audio: Dict[str, np.ndarray], rate: int = 16000) -> float:
    return sum(len(a) for a in audio.values()) / rate


# ---- timing ---------------------------------------------------------------------------------------------------
def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def interleaved_times(systems: Dict[str, Callable[[], None]], repeats: int, device: str,
                      warmup: int = 2) -> Dict[str, Dict[str, float]]:
    """Median and spread of each system's seconds, the systems run round-robin so that drift hits all alike."""
    for fn in systems.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, List[float]] = {name: [] for name in systems}
    for _ in range(repeats):
        for name, fn in systems.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: {"median_s": statistics.median(t), "min_s": min(t), "max_s": max(t), "repeats": len(t)}
            for name, t in times.items()}


# ---- results --------------------------------------------------------------------------------------------------
def machine() -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu": platform.processor() or
            platform.machine(), "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def write_result(name: str, args: argparse.Namespace, figures: dict) -> Path:
    out = Path(args.out) if args.out else RESULTS / f"{name}{'_cuda' if args.device == 'cuda' else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {"benchmark": name, "command": "python -m bench." + name + " " + " ".join(sys.argv[1:]),
              "date": datetime.date.today().isoformat(), "device": args.device, "threads": args.threads,
              "machine": machine(), "figures": figures}
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"wrote {out}")
    return out
