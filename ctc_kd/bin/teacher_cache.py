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
    from ctc_kd import shards

    shards.add_options(parser, "job K of --num_shards (a launcher's JOB, e.g. one GPU each): writes the shards i "
                       "(of --shard_size utterances) with i %% N == K - 1, and leaves the cache to --merge_shards",
                       "publish the cache")
    return parser


def main(argv=None) -> int:
    setup_logging()
    args = get_parser().parse_args(argv)
    from ctc_kd.cache.writer import merge_cache, write_cache
    from ctc_kd.inference.device import inference_device

    source = dict(teacher_config=args.teacher_config, teacher_model_file=args.teacher_model_file,
                  data_dir=args.data_dir, out_dir=args.out_dir, topk=args.topk, hidden_layers=args.hidden_layers,
                  shard_size=args.shard_size)
    if args.merge_shards is not None:
        merge_cache(**source, num_shards=args.merge_shards, shard_log=args.shard_log)
        return 0
    write_cache(**source, nj=args.nj, device=inference_device(args.ngpu, 0), shard=args.shard,
                num_shards=args.num_shards)
    return 0


if __name__ == "__main__":
    sys.exit(main())
