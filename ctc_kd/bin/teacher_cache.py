"""Run the teacher once over a data dir and cache its outputs, so KD students train without running it."""
import argparse
import sys

from ctc_kd.cli import setup_logging


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teacher_config", required=True, help="the teacher's config.yaml (exp/<teacher>/config.yaml)")
    parser.add_argument("--teacher_model_file", required=True, help="the teacher's selected checkpoint")
    parser.add_argument("--data_dir", required=True, help="formatted data dir (dump/raw/<set>) with wav.scp")
    parser.add_argument("--out_dir", required=True, help="writes meta.json, teacher_posteriors.scp, shards/")
    parser.add_argument("--topk", type=int, default=8,
                        help="non-blank tokens kept per frame besides blank and the rest mass (default 8); 0 keeps "
                             "every token, which makes cached KD equal to online KD")
    parser.add_argument("--hidden_layers", type=int, nargs="*", default=[],
                        help="teacher blocks whose outputs are cached in float16 for hidden-state KD (-1: the "
                             "encoder output)")
    parser.add_argument("--nj", type=int, default=1, help="parallel processes")
    parser.add_argument("--ngpu", type=int, default=0, choices=(0, 1), help="1: run the teacher on the GPU")
    parser.add_argument("--shard_size", type=int, default=200, help="utterances per shard (the unit of resuming)")
    return parser


def main(argv=None) -> int:
    setup_logging()
    args = get_parser().parse_args(argv)
    from ctc_kd.cache.writer import write_cache
    from ctc_kd.inference.device import inference_device

    write_cache(teacher_config=args.teacher_config, teacher_model_file=args.teacher_model_file,
                data_dir=args.data_dir, out_dir=args.out_dir, topk=args.topk, hidden_layers=args.hidden_layers,
                nj=args.nj, shard_size=args.shard_size, device=inference_device(args.ngpu, 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
