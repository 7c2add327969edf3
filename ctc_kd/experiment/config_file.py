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


SIDE_FILES = (("normalize_conf", "stats_file"), ("bpemodel",))  # files a config names: feature stats, BPE model


def resolve_side_files(config: dict, config_path) -> bool:
    """Point each side file of the config (SIDE_FILES) that is missing where it says (a path relative to the recipe
    folder, or a run moved since, as round 1's into exp/round1) at the copy of that name beside config_path, in place;
    an error names both places when neither has it. Returns whether a path changed."""
    changed = False
    for keys in SIDE_FILES:
        holder = config
        for key in keys[:-1]:
            holder = holder.get(key) or {}
        source = holder.get(keys[-1])
        if not source or Path(source).is_file():
            continue
        beside = Path(config_path).parent / Path(source).name
        if not beside.is_file():
            raise FileNotFoundError(f"{config_path}: {'.'.join(keys)} {source} is neither found from {Path.cwd()} "
                                    f"nor as {beside}")
        holder[keys[-1]], changed = str(beside.resolve()), True
    return changed
