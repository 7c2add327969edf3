"""A teacher trained elsewhere made exp/<teacher>, with its own statistics and this recipe's tokens, over no other."""
import shutil
from pathlib import Path
from typing import List, Optional

import yaml

from ctc_kd.complete_files import written_whole
from ctc_kd.experiment.layout import CONFIG, EXTERNAL_CHECKPOINT

# Files an ESPnet config names by a path relative to the recipe folder it was trained in: (section or None, key).
SIDE_FILES = (("normalize_conf", "stats_file"), (None, "bpemodel"))


def recipe_file(relative: str, config_file: Path) -> Optional[Path]:
    """Where a path relative to the teacher's recipe folder is: tried from each folder above its config."""
    for folder in config_file.resolve().parents:
        if (folder / relative).is_file():
            return folder / relative
    return None


def bring_side_file(config: dict, section: Optional[str], key: str, config_file: Path, exp_dir: Path) -> None:
    """Copy a file the teacher's config names (its own statistics, BPE model) into exp_dir and point there, so that
    the teacher never reads the importing recipe's file of the same relative name."""
    settings = (config.get(section) or {}) if section else config
    name = f"{section}.{key}" if section else key
    if not settings.get(key):
        return
    source = Path(settings[key]) if Path(settings[key]).is_absolute() else recipe_file(settings[key], config_file)
    if source is None or not source.is_file():
        raise SystemExit(f"ERROR: {config_file}'s {name} is {settings[key]}, which is not found from any folder "
                         f"above {config_file.parent}: give --external_teacher_config a copy of the config whose "
                         f"{name} is the full path of the teacher's file")
    target = exp_dir / f"teacher_{source.name}"
    shutil.copyfile(source, target)
    settings[key] = str(target)


def token_list_of(config: dict, config_file: Path) -> List[str]:
    """The teacher's tokens, from its config's list or the file it names."""
    tokens = config.get("token_list")
    if isinstance(tokens, str):
        path = Path(tokens) if Path(tokens).is_absolute() else recipe_file(tokens, config_file)
        if path is None:
            raise SystemExit(f"ERROR: {config_file}'s token_list {tokens} is not found from any folder above it")
        tokens = path.read_text(encoding="utf-8").split("\n")
    return [t for t in (tokens or []) if t != ""]


def check_token_list(config: dict, config_file: Path, token_list: Path) -> None:
    """The teacher's tokens must be this recipe's, id for id (found now, not at the first KD student's start)."""
    theirs = token_list_of(config, config_file)
    ours = [t for t in token_list.read_text(encoding="utf-8").split("\n") if t != ""]
    if theirs != ours:
        first = next((i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b), min(len(theirs), len(ours)))
        raise SystemExit(f"ERROR: the teacher's token list ({config_file}: {len(theirs)} tokens) differs from this "
                         f"recipe's {token_list} ({len(ours)} tokens) first at id {first}: use the teacher's token "
                         "list here (copy it to that path and re-run from stage 6), or a teacher trained on this one")


def check_not_another_teacher(model_file: Path, exp_dir: Path) -> None:
    """Refuse to replace a teacher trained here, or one imported from another file: students may have learnt from it."""
    link = exp_dir / EXTERNAL_CHECKPOINT
    if link.is_symlink() or link.exists():
        if link.resolve() != model_file.resolve():
            raise SystemExit(f"ERROR: {exp_dir} is the teacher imported from {link.resolve()}, not {model_file}: "
                             "import this one under another name (--teacher_name), or move "
                             f"{exp_dir} aside first")
    elif exp_dir.is_dir() and any(exp_dir.glob("*.pth")):
        raise SystemExit(f"ERROR: {exp_dir} holds a teacher trained in this recipe: import {model_file} under another "
                         f"name (--teacher_name), or move {exp_dir} aside first")


def import_teacher(model_file, config_file, exp_dir, token_list=None) -> None:
    """exp_dir as a teacher trained here: its config with its own side files, its weights as external.pth."""
    model_file, config_file, exp_dir = Path(model_file), Path(config_file), Path(exp_dir)
    for path in (model_file, config_file):
        if not path.is_file():
            raise SystemExit(f"ERROR: --teacher_model needs {path}, which does not exist")
    check_not_another_teacher(model_file, exp_dir)
    with config_file.open(encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if token_list is not None and Path(token_list).is_file():
        check_token_list(config, config_file, Path(token_list))
    exp_dir.mkdir(parents=True, exist_ok=True)
    for section, key in SIDE_FILES:
        bring_side_file(config, section, key, config_file, exp_dir)
    with written_whole(exp_dir / CONFIG) as tmp:
        tmp.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    link = exp_dir / EXTERNAL_CHECKPOINT
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(model_file.resolve())
