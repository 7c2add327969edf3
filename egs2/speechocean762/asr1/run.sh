#!/usr/bin/env bash
# speechocean762 (OpenSLR 101; 250 non-native speakers of English, Mandarin L1, half of them children; 5.6 h):
# KD of a CTC conformer across many voices, tested on 125 speakers never heard in training; word pieces, WER first.
# Every system is its own resumable training; run them across sittings (see README.md):
#   ./run.sh --stop_stage 6                     # data (download unless db.sh points at a copy), tokens, statistics
#   ./run.sh --stage 7 --stop_stage 8           # teacher, its scores
#   ./run.sh --stage 9 --stop_stage 10 --systems student_fpkd   # the teacher's output cache, then one student system
#   ./run.sh --stage 11                         # decode, score, spike timing, RESULTS.md, export
set -euo pipefail

# the final runs are seeds 2 and 3: seed 1 chose the KD weights on dev (exp/sweep/, README "KD weights")
# the students read the teacher's outputs from stage 9's cache instead of running the 6 x 144 teacher every step;
# every token is kept (--cache_topk 0), so the KD losses are exactly the online ones
./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type bpe --nbpe 50 \
    --min_sec 0.3 --max_sec 25 \
    --teacher_config conf/train_teacher.yaml \
    --teacher_mode cached --cache_topk 0 \
    --student_configs "conf/train_student_alone.yaml conf/train_student_sfmx_kd.yaml conf/train_student_guide_ctc.yaml
        conf/train_student_blank_elim_kd.yaml conf/train_student_fpkd.yaml conf/train_student_skd.yaml
        conf/train_student_3blocks_alone.yaml conf/train_student_layer_pruned.yaml conf/train_student_3blocks_sfmx_kd.yaml" \
    --init_chain "student_layer_pruned:teacher" \
    --skd_init teacher \
    --baseline_of "student_skd:student_3blocks_alone student_layer_pruned:student_3blocks_alone
        student_3blocks_sfmx_kd:student_3blocks_alone" \
    --seeds "2 3" \
    --decoder greedy \
    --main_metric wer \
    --results_title "speechocean762 (2.7 h of 115 speakers, tested on 125 others): KD of a CTC conformer, 2 CPU cores" \
    "$@"
