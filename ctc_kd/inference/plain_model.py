"""The plain ESPnet model a decoding or an analysis runs: an export as it is, or a training exported on the fly."""
from pathlib import Path
from typing import Optional, Tuple

import yaml

from ctc_kd.experiment.config_file import resolve_side_files
from ctc_kd.experiment.layout import CONFIG, EXPORTED_MODEL


def plain_model_files(tmp: Path, model_dir: Optional[str] = None, config: Optional[str] = None,
                      model_file: Optional[str] = None, export_dir: Optional[str] = None,
                      submodel: bool = True) -> Tuple[Path, Path]:
    """(config.yaml, model.pth) of a plain ESPnet model: the export in model_dir, or the training (config and
    model_file) exported into export_dir or tmp (an SKD training's sub-model unless submodel is False)."""
    if not model_dir:
        from ctc_kd.models.export import export_plain

        out = Path(export_dir) if export_dir else tmp / "export"
        return export_plain(config, model_file, out, submodel=submodel)
    config_path, model_path = export_files(model_dir)
    return relocate_side_files(config_path, tmp), model_path


def export_files(model_dir) -> Tuple[Path, Path]:
    """(config.yaml, model.pth) of an export, or an error naming the missing one and how exports are made."""
    config_path, model_path = Path(model_dir) / CONFIG, Path(model_dir) / EXPORTED_MODEL
    for path in (config_path, model_path):
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist: --model_dir must be an export (ctc_kd.bin.export_student)")
    return config_path, model_path


def relocate_side_files(config_path: Path, tmp: Path) -> Path:
    """An export's stats/BPE paths may be relative to where it was made: point them at the copies beside it."""
    with config_path.open(encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not resolve_side_files(config, config_path):
        return config_path
    fixed = tmp / "config.yaml"
    fixed.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return fixed
