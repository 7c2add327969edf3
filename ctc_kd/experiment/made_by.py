"""What made a training, kept in made_by.json, so that a re-run with other settings is refused, not resumed."""
import hashlib
import json
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from ctc_kd.complete_files import write_text
from ctc_kd.experiment.layout import MADE_BY


def flatten(value, prefix: str = "") -> Dict[str, str]:
    """{"optim_conf.lr": "0.005", ...}: one comparable string per leaf of a config."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: json.dumps(value, sort_keys=True)}


def current_record(config: Optional[str], values: List[str], files: List[str]) -> Dict[str, str]:
    """The record of the settings given now; a file that is not here (e.g. in a clone) is left out of it."""
    record = {}
    if config:
        with open(config, encoding="utf-8") as f:
            record.update({f"config.{k}": v for k, v in flatten(yaml.safe_load(f) or {}).items()})
    for item in values:
        key, _, value = item.partition("=")
        record[key] = value
    for item in files:
        key, _, path = item.partition("=")
        if path and Path(path).is_file():
            with open(path, "rb") as f:
                record[f"{key}.sha256"] = hashlib.file_digest(f, "sha256").hexdigest()
    return record


def differences(then: Dict[str, str], now: Dict[str, str]) -> List[str]:
    """'key: then -> now' for every key given now whose recorded value differs (keys not given now are not asked)."""
    missing = "(not set)"
    return [f"{key}: {then.get(key, missing)} -> {now[key]}" for key in sorted(now) if then.get(key, missing) != now[key]]


def check(exp_dir, now: Dict[str, str], write: bool) -> List[str]:
    """The differences from the recorded settings; with write, record `now` when there is no record yet."""
    path = Path(exp_dir) / MADE_BY
    if path.is_file():
        return differences(json.loads(path.read_text(encoding="utf-8")), now)
    if write:
        write_text(path, json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return []
