#!/usr/bin/env bash
# AISHELL-1 (178 h of read Mandarin, 400 speakers; OpenSLR 33): KD of a CTC conformer, characters, CER first.
# Full scale needs GPUs and about 70 GB of disk; see README.md for the hardware, the commands and ESPnet's numbers.
#   ./run.sh --ngpu 1 --stop_stage 8                       # data (download unless db.sh points at a copy), teacher
#   ./run.sh --ngpu 1 --stage 10 --systems "student_alone"  # one student system at a time
#   ./run.sh --stage 11                                     # decode, score, RESULTS.md, export
set -euo pipefail

./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type char \
    --main_metric cer \
    --results_title "AISHELL-1: KD of a CTC conformer (greedy CTC decoding, no LM)" \
    "$@"
