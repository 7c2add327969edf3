#!/usr/bin/env bash
# Cathy (one US-English speaker reading the CMU ARCTIC prompts, 1.37 h, CC0): the toolkit's evidence on real speech
# that fits two CPU cores; 200 word pieces, so that most of CTC's frames are blank as in the papers (README).
# Every system is its own resumable training; run them across sittings:
#   ./run.sh --stop_stage 9                         # data, teacher, teacher scores, teacher-output cache
#   ./run.sh --stage 10 --stop_stage 10 --systems "student_alone"   # one system at a time (its three seeds)
#   ./run.sh --stage 11                             # decode, score, spike timing, RESULTS.md, export
# Round 1 (characters, per-frame KD terms, two seeds) is kept in exp/round1/ with its RESULTS.md.
set -euo pipefail

# the 4 x 48 students: every method of the papers, FPKD in one training with its ablations and its chained
# three-training form; they read the teacher's outputs from stage 9's cache, every token kept (--cache_topk 0: the
# online losses exactly)
students="student_alone student_sfmx_kd student_guide_ctc student_blank_elim_kd
    student_fpkd student_fpkd_binary student_fpkd_binary_hidden
    student_fpkd_stage1 student_fpkd_stage2 student_fpkd_stage3"
# the SKD group: the teacher's first 3 blocks (6 x 144 with the student's CTC head after block 3), SKD fine-tuned
# from the teacher as the paper runs it, against what else can be made of that architecture
skd_group="student_3blocks_alone student_layer_pruned student_3blocks_sfmx_kd
    student_skd student_skd_blank_masked student_skd_scratch"
# the SKD group's rows are compared with its own student alone (same architecture), not with the 4 x 48 one
group_baseline="student_layer_pruned:student_3blocks_alone student_3blocks_sfmx_kd:student_3blocks_alone
    student_skd:student_3blocks_alone student_skd_blank_masked:student_3blocks_alone
    student_skd_scratch:student_3blocks_alone"
chain="student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2
    student_layer_pruned:teacher student_skd:teacher student_skd_blank_masked:teacher"
# shellcheck disable=SC2086,SC2116  # the lists above are split into words and joined on one line, on purpose
./asr_kd.sh \
    --fs 16000 \
    --train_set train --valid_set dev --test_sets "dev test" \
    --speed_perturb_factors "0.9 1.0 1.1" \
    --token_type bpe --nbpe 200 \
    --min_sec 0.3 --max_sec 15 \
    --teacher_config conf/train_teacher.yaml \
    --teacher_mode cached --cache_topk 0 \
    --student_configs "$(printf 'conf/train_%s.yaml ' $students $skd_group)" \
    --init_chain "$(echo $chain)" \
    --baseline_of "$(echo $group_baseline)" \
    --seeds "2 3 4" \
    --decoder greedy \
    --main_metric cer \
    --results_title "Cathy (1.1 h of one speaker, 200 word pieces): KD of a CTC conformer, 2 CPU cores" \
    "$@"
