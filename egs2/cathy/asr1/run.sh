#!/usr/bin/env bash
# Cathy (one US-English speaker reading the CMU ARCTIC prompts, 1.37 h, CC0): the toolkit's evidence on real speech
# that fits two CPU cores. Every system is its own resumable training; run them across sittings:
#   ./run.sh --stop_stage 8                         # data, teacher, teacher scores
#   ./run.sh --stage 10 --stop_stage 10 --systems "student_alone"   # one system at a time (both seeds)
#   ./run.sh --stage 11                             # decode, score, RESULTS.md, export
set -euo pipefail

students="conf/train_student_alone.yaml conf/train_student_sfmx_kd.yaml conf/train_student_guide_ctc.yaml
conf/train_student_blank_elim_kd.yaml conf/train_student_fpkd_stage1.yaml conf/train_student_fpkd_stage2.yaml
conf/train_student_fpkd_stage3.yaml conf/train_student_skd.yaml conf/train_student_skd_blank_masked.yaml"

./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type char \
    --min_sec 0.3 --max_sec 15 \
    --teacher_config conf/train_teacher.yaml \
    --student_configs "$(echo $students)" \
    --init_chain "student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2" \
    --seeds "1 2" \
    --decoder greedy \
    --main_metric cer \
    --results_title "Cathy (1.1 h of one speaker): KD of a CTC conformer, 2 CPU cores" \
    "$@"
