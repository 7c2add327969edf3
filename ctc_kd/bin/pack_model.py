"""Pack an export as ESPnet's zip without rebuilding the model; light to import (no torch, no ESPnet task)."""
from pathlib import Path

from ctc_kd.complete_files import zip_problem
from ctc_kd.experiment.layout import CONFIG, EXPORTED_MODEL
from ctc_kd.models.pack import pack_plain


def main(argv=None) -> int:
    """python -m ctc_kd.bin.pack_model EXPORT_DIR ZIP: pack export_student's output without rebuilding the model."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("export_dir", type=Path, help="holds config.yaml and model.pth from export_student")
    parser.add_argument("zip", type=Path)
    args = parser.parse_args(argv)
    for name in (CONFIG, EXPORTED_MODEL):
        if not (args.export_dir / name).is_file():
            raise SystemExit(f"ERROR: {args.export_dir / name} is missing: run ctc_kd.bin.export_student first")
    problem = zip_problem(args.export_dir / EXPORTED_MODEL)
    if problem:
        raise SystemExit(f"ERROR: {problem}: delete it and run ctc_kd.bin.export_student again")
    pack_plain(args.export_dir / CONFIG, args.export_dir / EXPORTED_MODEL, args.zip)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
