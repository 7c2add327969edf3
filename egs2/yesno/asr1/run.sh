#!/usr/bin/env bash
# yesno (Kaldi's 60 recordings of "yes"/"no" in Hebrew, 8 kHz): every stage of the toolkit, every method, in minutes
# on a laptop CPU. A smoke test and a tutorial, not a benchmark: the table it writes shows the machinery works.
#   ./run.sh                      # all stages; then see RESULTS.md
#   ./run.sh --stage 10 --systems student_fpkd_stage1
set -euo pipefail

# students: every method, FPKD both chained (asr_kd.sh's --init_chain default) and in one training (student_fpkd)
students="student_alone student_sfmx_kd student_guide_ctc student_blank_elim_kd
    student_fpkd_stage1 student_fpkd_stage2 student_fpkd_stage3 student_fpkd student_skd student_skd_blank_masked"
# shellcheck disable=SC2086  # the list above is split into words on purpose
./asr_kd.sh \
    --student_configs "$(printf 'conf/train_%s.yaml ' $students)" \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --token_type char \
    --min_sec 0.5 --max_sec 15 \
    --teacher_config conf/train_teacher.yaml \
    --decoder greedy \
    --main_metric wer \
    --results_title "yesno: every method on a toy corpus (smoke test, not a benchmark)" \
    "$@"
