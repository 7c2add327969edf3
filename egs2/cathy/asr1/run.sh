#!/usr/bin/env bash
# Cathy (one US-English speaker reading the CMU ARCTIC prompts, 1.37 h, CC0): the toolkit's evidence on real speech
# that fits two CPU cores. Every system is its own resumable training; run them across sittings:
#   ./run.sh --stop_stage 9                         # data, teacher, teacher scores, teacher-output cache
#   ./run.sh --stage 10 --stop_stage 10 --systems "student_alone"   # one system at a time (both seeds)
#   ./run.sh --stage 11                             # decode, score, spike timing, RESULTS.md, export
# RESULTS.md includes local/reading.md, the reading of the committed numbers: rewrite it for numbers of your own.
set -euo pipefail

# students: every method of the papers, FPKD stages chained, plus FPKD stages 2-3 without the learning-rate restart
# (the _lowlr ablation); they read the teacher's outputs from stage 9's cache, every token kept (--cache_topk 0: the
# online losses exactly)
students="student_alone student_sfmx_kd student_guide_ctc student_blank_elim_kd
    student_fpkd_stage1 student_fpkd_stage2 student_fpkd_stage3 student_fpkd_stage2_lowlr student_fpkd_stage3_lowlr
    student_skd student_skd_blank_masked"
chain="student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2
    student_fpkd_stage2_lowlr:student_fpkd_stage1 student_fpkd_stage3_lowlr:student_fpkd_stage2_lowlr"
# shellcheck disable=SC2086,SC2116  # the two lists above are split into words and joined on one line, on purpose
./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type char \
    --min_sec 0.3 --max_sec 15 \
    --teacher_config conf/train_teacher.yaml \
    --teacher_mode cached --cache_topk 0 \
    --student_configs "$(printf 'conf/train_%s.yaml ' $students)" \
    --init_chain "$(echo $chain)" \
    --seeds "1 2" \
    --decoder greedy \
    --main_metric cer \
    --results_title "Cathy (1.1 h of one speaker): KD of a CTC conformer, 2 CPU cores" \
    --results_reading local/reading.md \
    "$@"
