"""ESPnet's packed-model zip of an exported plain model; light to import (no torch, no ESPnet task)."""
from pathlib import Path

import yaml

from ctc_kd.complete_files import written_whole, zip_problem


def pack_plain(config_path: Path, model_path: Path, zip_path: Path) -> Path:
    """ESPnet's own packed-model zip (meta.yaml + files), which `espnet2.main_funcs.pack_funcs.unpack` reads."""
    from espnet2.main_funcs.pack_funcs import pack

    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    extra = [p for p in ((config.get("normalize_conf") or {}).get("stats_file"), config.get("bpemodel")) if p]
    with written_whole(zip_path) as tmp:  # a kill mid-pack leaves no zip that looks finished
        pack(
            files={"asr_model_file": str(model_path)},
            yaml_files={"asr_train_config": str(config_path)},
            outpath=str(tmp),
            option=extra,
        )
    return Path(zip_path)


def main(argv=None) -> int:
    """python -m ctc_kd.bin.pack_model EXPORT_DIR ZIP: pack export_student's output without rebuilding the model."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("export_dir", type=Path, help="holds config.yaml and model.pth from export_student")
    parser.add_argument("zip", type=Path)
    args = parser.parse_args(argv)
    for name in ("config.yaml", "model.pth"):
        if not (args.export_dir / name).is_file():
            raise SystemExit(f"ERROR: {args.export_dir / name} is missing: run ctc_kd.bin.export_student first")
    problem = zip_problem(args.export_dir / "model.pth")
    if problem:
        raise SystemExit(f"ERROR: {problem}: delete it and run ctc_kd.bin.export_student again")
    pack_plain(args.export_dir / "config.yaml", args.export_dir / "model.pth", args.zip)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
