"""What a trained system's folder and this machine say about a run: training time, epochs, parameters, environment."""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Dict, List, Optional

from ctc_kd.cli import setup_logging

log = logging.getLogger(__name__)

# Tensors of a state dict that are statistics or fixed transforms, not trained weights: feature normalisation stats,
# batch-norm running statistics and the fixed mel filterbank of the default frontend.
BUFFER_PREFIXES = ("normalize.",)
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked", "logmel.melmat")

_SECONDS = {"nanosecond": 1e-9, "microsecond": 1e-6, "millisecond": 1e-3, "second": 1.0, "minute": 60.0,
            "hour": 3600.0, "day": 86400.0, "week": 604800.0, "year": 31536000.0}
_EPOCH_RESULTS = re.compile(r"(\d+)epoch results: (.*)$")
# "time=" not preceded by a word character or dot (so not train_time=, iter_time=), then humanfriendly's
# "1 hour, 2 minutes and 5.5 seconds".
_TIME = re.compile(r"(?<![\w.])time=((?:\d+(?:\.\d+)?\s+[a-z]+(?:,\s*(?=\d)|\s+and\s+)?)+)")
_VALID = re.compile(r"\[valid\]\s*([^\[]*)")  # the valid part of an "epoch results" line, up to the next [part]
_NUMBER = re.compile(r"(\w+)=(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?=,|\s|$)")
_END = re.compile(r"The training was (finished|stopped) at (\d+) ?epoch")
_TORCH = re.compile(r"pytorch\.version=([^,\s]+), cuda\.available=(\w+)")


def parse_timespan(text: str) -> float:
    """Seconds of a humanfriendly.format_timespan string, e.g. '1 hour, 2 minutes and 5.5 seconds' -> 3725.5."""
    total, found = 0.0, False
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s+([a-z]+)", text):
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _SECONDS else unit
        if unit not in _SECONDS:
            raise ValueError(f"unknown time unit '{unit}' in '{text}'")
        total += float(number) * _SECONDS[unit]
        found = True
    if not found:
        raise ValueError(f"'{text}' is not a time span like '1 minute and 5.33 seconds'")
    return total


@dataclass
class TrainLog:
    """What ESPnet's train.log tells: seconds per completed epoch, how the training ended, the torch it ran on."""

    path: str
    epoch_seconds: Dict[int, float] = field(default_factory=dict)
    end: Optional[str] = None  # "finished" or "stopped" (early stopping); None: still running or killed
    end_epoch: Optional[int] = None
    torch_version: Optional[str] = None
    cuda_available: Optional[bool] = None
    valid: Dict[int, Dict[str, float]] = field(default_factory=dict)  # epoch -> the valid numbers (no nan, no time)

    @property
    def seconds(self) -> float:
        """Training time: the sum of the train, valid and plot times of every completed epoch."""
        return sum(self.epoch_seconds.values())

    @property
    def epochs(self) -> int:
        return max(self.epoch_seconds, default=0)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["epoch_seconds"] = {str(k): v for k, v in sorted(self.epoch_seconds.items())}
        out["valid"] = {str(k): v for k, v in sorted(self.valid.items())}
        out.update(seconds=round(self.seconds, 6), epochs=self.epochs)
        return out


def rotated_logs(path) -> List[Path]:
    """train.log and, oldest first before it, the train.<n>.log that ESPnet's launcher (multi-process training)
    renames it to on every start, so that a resumed run's earlier epochs are counted too."""
    path = Path(path)
    pattern = re.compile(re.escape(path.stem) + r"\.(\d+)" + re.escape(path.suffix) + "$")
    rotated = [(int(m.group(1)), p) for p in path.parent.iterdir() if (m := pattern.match(p.name))]
    return [p for _, p in sorted(rotated, reverse=True)] + [path]


def read_train_log(path) -> TrainLog:
    """Parse a train.log with its rotated predecessors (appended to on resume: an epoch logged twice counts once,
    the last time)."""
    result = TrainLog(str(path))
    for part in rotated_logs(path):
        _read_lines(part, result)
    return result


def _read_lines(path: Path, result: TrainLog) -> None:
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _EPOCH_RESULTS.search(line)
            if m:
                seconds = sum(parse_timespan(t) for t in _TIME.findall(m.group(2)))
                result.epoch_seconds[int(m.group(1))] = round(seconds, 6)
                valid = _VALID.search(m.group(2))
                if valid:
                    result.valid[int(m.group(1))] = {k: float(v) for k, v in _NUMBER.findall(valid.group(1))
                                                     if k not in ("total_count", "time")}
                continue
            m = _END.search(line)
            if m:
                result.end, result.end_epoch = m.group(1), int(m.group(2))
                continue
            m = _TORCH.search(line)
            if m:
                result.torch_version, result.cuda_available = m.group(1), m.group(2) == "True"


def is_trained_weight(key: str) -> bool:
    """Whether a state-dict entry is a trained parameter (not a statistic or a fixed transform)."""
    return not key.startswith(BUFFER_PREFIXES) and not key.endswith(BUFFER_SUFFIXES)


def count_parameters(model_file) -> int:
    """Number of trained parameters in a saved state dict (e.g. exp/<system>/export/model.pth)."""
    import torch

    state = torch.load(model_file, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{model_file}: not a state dict (a {type(state).__name__}); give an exported model.pth")
    return sum(t.numel() for k, t in state.items() if hasattr(t, "numel") and is_trained_weight(k))


def _version(package: str) -> Optional[str]:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Software and hardware of this process: python, torch, espnet, CPU, GPUs, threads (no host name)."""
    import torch

    gpus: List[str] = []
    if torch.cuda.is_available():
        gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "espnet": _version("espnet"),
        "ctc_kd": _version("ctc_kd"),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cuda": torch.version.cuda,
        "gpus": gpus,
    }


def system_info(exp_dir) -> dict:
    """Training log summary and parameter count of one exp/<system> folder (None where a file is missing)."""
    exp_dir = Path(exp_dir)
    out: dict = {"dir": str(exp_dir), "train_log": None, "params": None}
    if (exp_dir / "train.log").is_file():
        out["train_log"] = read_train_log(exp_dir / "train.log").to_dict()
    else:
        log.warning("%s is missing: no training time", exp_dir / "train.log")
    if (exp_dir / "export" / "model.pth").is_file():
        out["params"] = count_parameters(exp_dir / "export" / "model.pth")
    else:
        log.warning("%s is missing: no parameter count (run the export stage)", exp_dir / "export" / "model.pth")
    return out


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.run_info",
        description="Print as JSON this machine's environment and, per exp/<system> folder given, its training time "
                    "and epochs (from train.log) and its trained parameters (from export/model.pth).",
    )
    parser.add_argument("system_dirs", nargs="*", help="exp/<system> folders")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging()
    info = {"environment": environment(), "systems": [system_info(d) for d in args.system_dirs]}
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
