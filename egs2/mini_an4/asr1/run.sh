#!/usr/bin/env bash
# mini_an4 (ESPnet's 7-utterance subset of CMU AN4, NIST sphere audio read directly): every stage and every method on
# the AN4 layout in a few minutes. A smoke test of the data path (sphere, AN4 transcripts), not a benchmark.
#   ./run.sh                      # all stages; then see RESULTS.md
set -euo pipefail

students="conf/train_student_alone.yaml conf/train_student_sfmx_kd.yaml conf/train_student_guide_ctc.yaml
conf/train_student_blank_elim_kd.yaml conf/train_student_fpkd_stage1.yaml conf/train_student_fpkd_stage2.yaml
conf/train_student_fpkd_stage3.yaml conf/train_student_skd.yaml conf/train_student_skd_blank_masked.yaml"

./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "test" \
    --token_type char \
    --min_sec 0.3 --max_sec 20 \
    --teacher_config conf/train_teacher.yaml \
    --student_configs "$(echo $students)" \
    --init_chain "student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2" \
    --decoder greedy \
    --main_metric cer \
    --results_title "mini_an4: every method on 4 training utterances (smoke test, not a benchmark)" \
    "$@"
