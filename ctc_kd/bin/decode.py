"""Decode a data dir with a trained model: fast batched greedy CTC, or stock ESPnet beam search; writes text + RTF.

Writes OUTPUT_DIR/text (`<utt> <hypothesis text>`), OUTPUT_DIR/token, OUTPUT_DIR/token_int (sorted by utterance id)
and OUTPUT_DIR/decode_info.json (decoder, its settings, params (trained parameters), num_utts, audio_seconds,
decode_seconds, rtf, batch_size, device, threads; greedy also frames, blank_frames and blank_ratio, the share of
encoder frames whose best-path label is blank; made_by, what made the hypotheses: the weights' digest, wav.scp's
sha256 and the search), each file atomically; decode_info.json is written last.
decode_seconds counts the model's work (frontend, encoder, search), not reading audio (read_seconds).

Greedy: best-path CTC over length-sorted batches, padding-invariant (ctc_kd.inference.padding_mask), so every
hypothesis equals decoding the utterance alone. Beam: ESPnet's Speech2Text one utterance at a time; with
--ctc_weight 1 (default) that is CTC prefix beam search, which even at --beam_size 1 is not greedy decoding;
with --ctc_weight < 1 a hybrid model's attention decoder joins the search.

    python -m ctc_kd.bin.decode --model_dir exp/export --data_dir dump/raw/test --output_dir exp/export/decode_test
    python -m ctc_kd.bin.decode --config exp/student/config.yaml --model_file exp/student/valid.cer_ctc.best.pth \\
        --data_dir dump/raw/test --decoder beam --beam_size 10 --output_dir exp/student/decode_beam10_test

A decode config (--decode_config conf/decode_beam.yaml) is a YAML mapping of the search options below (decoder,
beam_size, ctc_weight, penalty, maxlenratio, batch_size, batch_bins, num_threads) without dashes; an option given
on the command line as well wins, except --decoder, which must then agree with the config.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

import yaml

from ctc_kd.cli import run
from ctc_kd.decoding.decode_sets import decode


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.decode",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    model = parser.add_argument_group("model: --model_dir, or --config and --model_file")
    model.add_argument("--model_dir", default=None, help="an exported plain ESPnet model: config.yaml + model.pth")
    model.add_argument("--config", default=None, help="any ctc_kd training's config.yaml (exported on the fly)")
    model.add_argument("--model_file", default=None, help="with --config: its weights, e.g. valid.cer_ctc.best.pth")
    model.add_argument("--export_dir", default=None, help="with --config: keep the export there (else a temp dir)")
    model.add_argument("--skd_full_model", action="store_true",
                       help="with --config of a self-KD training: decode the full model, not the l-block sub-model")
    parser.add_argument("--data_dir", required=True, nargs="+",
                        help="data dirs with wav.scp (e.g. dump/raw/dev dump/raw/test), decoded with one model load")
    parser.add_argument("--output_dir", required=True, nargs="+",
                        help="one per --data_dir: writes text, token, token_int, decode_info.json there")
    parser.add_argument("--decode_config", default=None,
                        help="YAML file of search options (keys as the option names, e.g. beam_size: 20)")
    parser.add_argument("--decoder", choices=("greedy", "beam"), default="greedy",
                        help="greedy: batched best-path CTC; beam: ESPnet Speech2Text, one utterance at a time")
    parser.add_argument("--batch_size", type=int, default=16, help="greedy: utterances per batch")
    parser.add_argument("--batch_bins", type=int, default=0,
                        help="greedy: also cap a batch at this many padded samples (utterances x longest); 0: no cap")
    beam = parser.add_argument_group("beam (ESPnet Speech2Text options, passed through)")
    beam.add_argument("--beam_size", type=int, default=10)
    beam.add_argument("--ctc_weight", type=float, default=1.0,
                      help="1.0: CTC prefix search; < 1 also scores with a hybrid model's attention decoder")
    beam.add_argument("--penalty", type=float, default=0.0, help="insertion bonus per token")
    beam.add_argument("--maxlenratio", type=float, default=0.0, help="0: hypotheses up to the encoder length")
    parser.add_argument("--ngpu", type=int, choices=(0, 1), default=0, help="1: decode on the GPU")
    parser.add_argument("--skip_decoded", action="store_true",
                        help="keep a set's decoding whose decode_info.json records the same weights, wav.scp and "
                             "search as now (asr_kd.sh's stage 11); otherwise it is decoded again")
    parser.add_argument("--num_threads", type=int, default=0,
                        help="CPU threads for torch (0: torch's default); fewer than the free cores avoids contention")
    return parser




CONFIG_OPTIONS = ("decoder", "beam_size", "ctc_weight", "penalty", "maxlenratio", "batch_size", "batch_bins",
                  "num_threads")  # what a decode config may set: the search, never the model or the data


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The command line over the --decode_config file over the defaults."""
    parser = get_parser()
    args = parser.parse_args(argv)
    if not args.decode_config:
        return args
    settings = read_decode_config(Path(args.decode_config))
    given = [a.split("=", 1)[0] for a in (argv if argv is not None else sys.argv[1:]) if a.startswith("--")]
    if "decoder" in settings and "--decoder" in given and settings["decoder"] != args.decoder:
        raise ValueError(f"{args.decode_config} says decoder: {settings['decoder']} but the command line says "
                         f"--decoder {args.decoder}: drop one of them")
    parser.set_defaults(**settings)
    return parser.parse_args(argv)


def read_decode_config(path: Path) -> dict:
    """The options in a decode config, type-checked by the parser; unknown keys name the file and the known ones."""
    if not path.is_file():
        raise ValueError(f"decode config {path} does not exist")
    with path.open(encoding="utf-8") as f:
        settings = yaml.safe_load(f) or {}
    if not isinstance(settings, dict):
        raise ValueError(f"{path} must be a YAML mapping of option: value, e.g. 'beam_size: 20'")
    unknown = sorted(set(settings) - set(CONFIG_OPTIONS))
    if unknown:
        raise ValueError(f"{path}: unknown decode options {unknown}; a decode config may set {list(CONFIG_OPTIONS)}")
    tokens = [token for key, value in settings.items() for token in (f"--{key}", str(value))]
    try:
        checked = vars(get_parser().parse_args(["--data_dir", "-", "--output_dir", "-", *tokens]))
    except SystemExit:  # argparse printed which value is wrong
        raise ValueError(f"{path}: a value is not valid for its option (see the message above)") from None
    return {key: checked[key] for key in settings}


def check_model_args(args: argparse.Namespace) -> None:
    """Exactly one way of naming the model."""
    if args.model_dir and (args.config or args.model_file):
        raise ValueError("give either --model_dir or --config with --model_file, not both")
    if not args.model_dir and not (args.config and args.model_file):
        raise ValueError("name the model: --model_dir DIR (an export), or --config with --model_file (a training)")
    if args.export_dir and args.model_dir:
        raise ValueError("--export_dir goes with --config/--model_file: --model_dir is an export already")
    if args.skd_full_model and args.model_dir:
        raise ValueError("--skd_full_model applies to --config/--model_file of a self-KD training, not --model_dir")


def main(argv: Optional[List[str]] = None) -> int:
    from ctc_kd.teacher.loader import TeacherMismatchError  # unreadable weights, named by the message

    def body():
        args = parse_args(argv)
        check_model_args(args)
        return decode(args) and 0

    return run(body, errors=(ValueError, OSError, TeacherMismatchError))


if __name__ == "__main__":
    sys.exit(main())
