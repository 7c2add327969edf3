"""Reading a training config (a recipe's conf/train_*.yaml or the config.yaml ESPnet writes into exp/<run>)."""
from pathlib import Path
from typing import Optional

import yaml


def load_yaml(path) -> dict:
    """A config as a dict ({} when empty); a missing file stops the stage script's question, naming it."""
    path = Path(path)
    if not path.is_file():
        raise SystemExit(f"ERROR: {path} does not exist")
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def read_config(path) -> Optional[dict]:
    """A run's config.yaml as a dict ({} when empty), or None when the file is absent."""
    path = Path(path)
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def dotted_value(config, key: str) -> str:
    """The value of a dotted key (e.g. model_conf.skd_layer) of a config file, "" when it is not set."""
    value = load_yaml(config)
    for part in key.split("."):
        value = (value or {}).get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)
