#!/usr/bin/env bash
# LibriSpeech 960 h (OpenSLR 12): KD of a CTC conformer, 5000 BPE pieces, WER first; configs shared with
# librispeech_100. Full scale needs several GPUs and about 350 GB of disk; see README.md.
#   ./run.sh --ngpu 4 --stop_stage 8                       # data (download unless db.sh points at a copy), teacher
#   ./run.sh --ngpu 4 --stage 10 --systems "student_alone"  # one student system at a time
#   ./run.sh --stage 11                                     # decode, score, RESULTS.md, export
set -euo pipefail

./asr_kd.sh \
    --fs 16000 \
    --train_set train_960 --valid_set dev --test_sets "dev_clean dev_other test_clean test_other" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type bpe --nbpe 5000 \
    --max_sec 30 \
    --main_metric wer \
    --results_title "LibriSpeech 960 h: KD of a CTC conformer (greedy CTC decoding, no LM)" \
    "$@"
