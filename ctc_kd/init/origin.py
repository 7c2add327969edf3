"""Where a run's starting weights came from, read back from its config.yaml (no torch: the results table uses it)."""
import re
from pathlib import Path
from typing import Optional

PRUNED_SUFFIX = re.compile(r"\.first_(\d+)_blocks\.pth$")


def pruned_path(checkpoint, blocks: int) -> Path:
    """Where the pruned weights of a checkpoint live: beside it, e.g. valid.cer_ctc.best.first_4_blocks.pth."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}.first_{blocks}_blocks.pth")


def pruned_blocks(config: dict) -> Optional[int]:
    """The l of a run that started from the first l blocks of another model (None otherwise)."""
    for spec in (config or {}).get("init_param") or []:
        m = PRUNED_SUFFIX.search(str(spec).split(":", 1)[0])
        if m:
            return int(m.group(1))
    return None


def initialised_from(config: dict) -> str:
    """The folder of the weights a run started from (its config.yaml's init_param), "" for one from scratch."""
    return Path(initialised_from_path(config)).name


def initialised_from_path(config: dict) -> str:
    """That folder as init_param writes it (e.g. exp/round1/teacher), "" for a run from scratch."""
    for spec in (config or {}).get("init_param") or []:
        folder = Path(str(spec).split(":", 1)[0]).parent
        if folder.name:
            return folder.as_posix()
    return ""
