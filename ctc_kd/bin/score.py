"""Score recognition output against references (WER/CER/TER) with an sclite-like report, without sclite.

Writes `OUT_DIR/result.txt`: a summary table (`| SPKR | # Snt # Wrd | Corr Sub Del Ins Err S.Err |`, one row per
speaker from utt2spk and a `Sum/Avg` row, percentages with one decimal as sclite prints them), then one block per
utterance (`id: (<utt>)`, `Scores: (#C #S #D #I) c s d i`, `REF:`, `HYP:`, `Eval:`) with `***` for a missing word
and errors in UPPER case, correct words in lower case. `OUT_DIR/score.json` holds the numbers: rates in percent
(err, corr, sub, del, ins, serr), counts (snt, wrd, num_corr, num_sub, num_del, num_ins, num_err, num_serr).
The alignment: ctc_kd.scoring.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from ctc_kd.cli import run
from ctc_kd.scoring.scorer import score_files
from ctc_kd.scoring.units import UNITS


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ctc_kd.bin.score",
        description="Score hypotheses against references; writes OUT_DIR/result.txt (sclite-like) and score.json.",
    )
    parser.add_argument("--ref", required=True, help="reference Kaldi text, e.g. data/test/text")
    parser.add_argument("--hyp", required=True, help="hypothesis Kaldi text, e.g. exp/<model>/decode_test/text")
    parser.add_argument("--unit", choices=UNITS, default="word", help="word (WER), char (CER) or token (TER)")
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--utt2spk", default=None,
                        help="speakers for the per-speaker rows (default: utt2spk beside --ref, if there)")
    parser.add_argument("--remove_space", action="store_true", help="char unit: ignore spaces (e.g. Mandarin CER)")
    parser.add_argument("--ignore_case", action="store_true", help="compare case-insensitively")
    parser.add_argument("--bpemodel", default=None, help="token unit: sentencepiece model splitting the texts")
    parser.add_argument("--token_list", default=None, help="token unit: tokens.txt; other tokens become <unk>")
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = get_parser().parse_args(argv)
    return run(lambda: score_files(args.ref, args.hyp, args.unit, args.out_dir, args.utt2spk, args.remove_space,
                                   args.ignore_case, args.bpemodel, args.token_list) and 0)


if __name__ == "__main__":
    sys.exit(main())
