"""Turn any ctc_kd training (KD student, SKD, plain) into a plain ESPnet model that stock ESPnet loads."""
import argparse
import logging
import shutil
from pathlib import Path
from typing import Tuple

import torch
import yaml

from ctc_kd.complete_files import written_whole
from ctc_kd.experiment.config_file import SIDE_FILES, resolve_side_files
from ctc_kd.experiment.layout import CONFIG, EXPORTED_MODEL
from ctc_kd.models import MODELS
from ctc_kd.teacher.loader import read_state_dict


def plain_model(config: dict, state: dict, submodel: bool = True) -> Tuple[dict, dict]:
    """(config, weights) of the model a ctc_kd training produced, as `model: espnet`."""
    name = config.get("model")
    if name in (None, "espnet"):
        return dict(config), dict(state)
    if name not in MODELS:
        raise ValueError(f"cannot export a '{name}' model: expected one of espnet, {', '.join(MODELS)}")
    model_class = MODELS[name]
    if name == "self_kd":
        return model_class.plain_model(config, state, submodel=submodel)
    return model_class.plain_model(config, state)


def build_plain(config: dict, state: dict):
    """Build the plain model and load the weights strictly: a key the export forgot is an error here."""
    from espnet2.tasks.asr import ASRTask

    model = ASRTask.build_model(argparse.Namespace(**config))
    model.load_state_dict(state, strict=True)
    return model.eval()


def _copy_side_file(config: dict, keys: Tuple[str, ...], out_dir: Path) -> None:
    """Copy a file the config points at (feature stats, BPE model) next to the export and point there."""
    holder = config
    for key in keys[:-1]:
        holder = holder.get(key) or {}
    source = holder.get(keys[-1])
    if not source:
        return
    if not Path(source).is_file():
        raise FileNotFoundError(f"the config's {'.'.join(keys)} is {source}, which does not exist from {Path.cwd()}")
    target = out_dir / Path(source).name
    if Path(source).resolve() != target.resolve():
        shutil.copyfile(source, target)
    holder[keys[-1]] = str(target)


def export_plain(config_file, model_file, out_dir, submodel: bool = True) -> Tuple[Path, Path]:
    """Write out_dir/config.yaml and out_dir/model.pth of the plain model; returns their paths."""
    with open(config_file, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    resolve_side_files(config, config_file)  # a moved run's stats: the copy beside its config.yaml
    config, state = plain_model(config, read_state_dict(Path(model_file)), submodel=submodel)
    build_plain(config, state)  # fails here, not at the user's decoding, if the export is inconsistent
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for keys in SIDE_FILES:
        _copy_side_file(config, keys, out_dir)
    config_path, model_path = out_dir / CONFIG, out_dir / EXPORTED_MODEL
    with written_whole(config_path) as tmp:
        tmp.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with written_whole(model_path) as tmp:  # last: a kill or a full disk leaves no model.pth that looks finished
        torch.save(state, tmp)
    logging.info(f"exported {model_file} as a plain ESPnet model: {config_path}, {model_path}")
    return config_path, model_path
