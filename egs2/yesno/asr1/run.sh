#!/usr/bin/env bash
# yesno (Kaldi's 60 recordings of "yes"/"no" in Hebrew, 8 kHz): every stage of the toolkit, every method, in minutes
# on a laptop CPU. A smoke test and a tutorial, not a benchmark: the table it writes shows the machinery works.
#   ./run.sh                      # all stages; then see RESULTS.md
#   ./run.sh --stage 10 --systems student_fpkd_stage1
set -euo pipefail

students="conf/train_student_alone.yaml conf/train_student_sfmx_kd.yaml conf/train_student_guide_ctc.yaml
conf/train_student_blank_elim_kd.yaml conf/train_student_fpkd_stage1.yaml conf/train_student_fpkd_stage2.yaml
conf/train_student_fpkd_stage3.yaml conf/train_student_skd.yaml conf/train_student_skd_blank_masked.yaml"

./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --token_type char \
    --min_sec 0.5 --max_sec 15 \
    --teacher_config conf/train_teacher.yaml \
    --student_configs "$(echo $students)" \
    --init_chain "student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2" \
    --decoder greedy \
    --main_metric wer \
    --results_title "yesno: every method on a toy corpus (smoke test, not a benchmark)" \
    "$@"
