"""Export a trained student (KD or SKD) as a plain ESPnet model: no teacher, no projections, SKD truncated."""
import argparse
import sys

from ctc_kd.cli import setup_logging
from ctc_kd.espnet_import import import_espnet_quietly


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, help="the training's config.yaml (exp/<system>/config.yaml)")
    parser.add_argument("--model_file", required=True, help="weights to export, e.g. exp/<system>/valid.cer_ctc.best.pth")
    parser.add_argument("--out_dir", required=True, help="writes config.yaml, model.pth and the side files here")
    parser.add_argument("--pack", default=None, help="also write ESPnet's packed zip at this path")
    parser.add_argument(
        "--skd_full_model", action="store_true", help="SKD: export the full model instead of the l-block sub-model"
    )
    return parser


def main(argv=None) -> int:
    setup_logging()
    args = get_parser().parse_args(argv)
    import_espnet_quietly()
    from ctc_kd.models.export import export_plain
    from ctc_kd.models.pack import pack_plain

    config_path, model_path = export_plain(args.config, args.model_file, args.out_dir, submodel=not args.skd_full_model)
    if args.pack:
        pack_plain(config_path, model_path, args.pack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
