#!/usr/bin/env bash
# LibriSpeech train-clean-100 (100 h; OpenSLR 12): the librispeech recipe (same configs: conf is a link to
# ../../librispeech/asr1/conf) trained on train-clean-100 alone. One GPU, about 40 GB of disk; see README.md.
#   ./run.sh --ngpu 1 --stop_stage 8                       # data (download unless db.sh points at a copy), teacher
#   ./run.sh --ngpu 1 --stage 10 --systems "student_alone"  # one student system at a time
#   ./run.sh --stage 11                                     # decode, score, RESULTS.md, export
set -euo pipefail

# librispeech's run.sh runs from this folder (its ./asr_kd.sh, conf/, data/ and exp/ are this recipe's); the
# options below override its own, and the command line overrides both.
exec "$(dirname "$(readlink -f "$0")")/../../librispeech/asr1/run.sh" \
    --train_set train_clean_100 \
    --results_title "LibriSpeech 100 h: KD of a CTC conformer (greedy CTC decoding, no LM)" \
    "$@"
