"""What ESPnet's train.log says about a training: time and validation numbers per epoch, how it ended, its torch."""
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

_SECONDS = {"nanosecond": 1e-9, "microsecond": 1e-6, "millisecond": 1e-3, "second": 1.0, "minute": 60.0,
            "hour": 3600.0, "day": 86400.0, "week": 604800.0, "year": 31536000.0}
_EPOCH_RESULTS = re.compile(r"(\d+)epoch results: (.*)$")
# "time=" not preceded by a word character or dot (so not train_time=, iter_time=), then humanfriendly's
# "1 hour, 2 minutes and 5.5 seconds".
_TIME = re.compile(r"(?<![\w.])time=((?:\d+(?:\.\d+)?\s+[a-z]+(?:,\s*(?=\d)|\s+and\s+)?)+)")
_VALID = re.compile(r"\[valid\]\s*([^\[]*)")  # the valid part of an "epoch results" line, up to the next [part]
_TRAIN = re.compile(r"\[train\]\s*([^\[]*)")  # its train part
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
    train: Dict[int, Dict[str, float]] = field(default_factory=dict)  # epoch -> the train numbers (the same way)

    @property
    def seconds(self) -> float:
        """Training time: the sum of the train, valid and plot times of every completed epoch."""
        return sum(self.epoch_seconds.values())

    @property
    def last_train(self) -> Dict[str, float]:
        """The [train] numbers of the last epoch that logged them (empty before the first)."""
        return self.train[max(self.train)] if self.train else {}

    @property
    def epochs(self) -> int:
        """The last completed epoch."""
        return max(self.epoch_seconds, default=0)

    def to_dict(self) -> dict:
        """The log's numbers as results.json keeps them."""
        out = asdict(self)
        out["epoch_seconds"] = {str(k): v for k, v in sorted(self.epoch_seconds.items())}
        out["valid"] = {str(k): v for k, v in sorted(self.valid.items())}
        out["train"] = {str(k): v for k, v in sorted(self.train.items())}
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
    """Add one log file's epochs, end and torch version to result."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _EPOCH_RESULTS.search(line)
            if m:
                seconds = sum(parse_timespan(t) for t in _TIME.findall(m.group(2)))
                result.epoch_seconds[int(m.group(1))] = round(seconds, 6)
                for part, numbers in ((_VALID, result.valid), (_TRAIN, result.train)):
                    found = part.search(m.group(2))
                    if found:
                        numbers[int(m.group(1))] = {k: float(v) for k, v in _NUMBER.findall(found.group(1))
                                                    if k not in ("total_count", "time")}
                continue
            m = _END.search(line)
            if m:
                result.end, result.end_epoch = m.group(1), int(m.group(2))
                continue
            m = _TORCH.search(line)
            if m:
                result.torch_version, result.cuda_available = m.group(1), m.group(2) == "True"
