#!/usr/bin/env bash
# mini_an4 (ESPnet's 7-utterance subset of CMU AN4, NIST sphere audio read directly): every stage and every method on
# the AN4 layout in a few minutes. A smoke test of the data path (sphere, AN4 transcripts), not a benchmark.
#   ./run.sh                      # all stages; then see RESULTS.md
set -euo pipefail

# students: every method, FPKD both chained (asr_kd.sh's --init_chain default) and in one training (student_fpkd)
students="student_alone student_sfmx_kd student_guide_ctc student_blank_elim_kd
    student_fpkd_stage1 student_fpkd_stage2 student_fpkd_stage3 student_fpkd student_skd student_skd_blank_masked"
# shellcheck disable=SC2086  # the list above is split into words on purpose
./asr_kd.sh \
    --student_configs "$(printf 'conf/train_%s.yaml ' $students)" \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "test" \
    --token_type char \
    --min_sec 0.3 --max_sec 20 \
    --teacher_config conf/train_teacher.yaml \
    --decoder greedy \
    --main_metric cer \
    --results_title "mini_an4: every method on 4 training utterances (smoke test, not a benchmark)" \
    "$@"
