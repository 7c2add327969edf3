#!/usr/bin/env bash
# The one stage script of every ctc-kd recipe: data -> dump -> tokens + stats -> teacher -> students -> scores ->
# spike timing -> table -> export.
#
# A corpus recipe's run.sh calls it with the corpus settings; any option can be given again on the command line:
#   ./run.sh                                   # every stage
#   ./run.sh --stage 10 --stop_stage 14 --student_configs "conf/train_student_alone.yaml conf/train_student_fkl.yaml"
#   ./run.sh --stage 10 --systems "student_fpkd_stage1"   # one system of the list (e.g. one per sitting)
# Every stage skips what is already done and says so; a failed stage is re-run with --stage N (training resumes
# from exp/<system>/checkpoint.pth). See `./asr_kd.sh --help` for the options.
set -euo pipefail

# ---- options (name=default; each is a --name value option) --------------------------------------------------------
stage=1                 # first stage to run
stop_stage=15           # last stage to run
ngpu=0                  # GPUs per node (0: CPU); > 1 or num_nodes > 1 trains through espnet2.bin.launch
num_nodes=1             # nodes for multi-node training (through slurm: --cmd_backend slurm)
cmd_backend=""          # where jobs run: local (this machine) or slurm (sbatch/srun); default: cmd.sh's (local)
nj=2                    # jobs (shards) of audio formatting, statistics and the teacher cache; systems side by side in stages 10-13 and 15 (trainings: on CPUs or a cluster)
inference_nj=1          # jobs (shards) of each decoding and alignment analysis (ESPnet's name); one GPU each with --ngpu > 0
dumpdir=dump            # formatted audio
expdir=exp              # models, decodings, scores
fs=16000                # sample rate of the formatted audio
audio_format=flac       # flac or wav
local_data_opts=""      # options of local/data.sh
train_set=train         # set names written by local/data.sh
valid_set=dev
test_sets="dev test"    # sets decoded and scored
speed_perturb_factors="" # e.g. "0.9 1.0 1.1" (stage 2)
min_sec=0.1             # stage 4 drops training utterances shorter or longer than these
max_sec=20
token_type=char         # char or bpe
nbpe=500                # BPE vocabulary size
bpe_model_type=unigram
teacher_config=conf/train_teacher.yaml
teacher_name=teacher    # exp/<teacher_name>
teacher_model=""        # a teacher trained elsewhere: its checkpoint (.pth); skips stage 7
external_teacher_config="" # ... and its config.yaml (default: config.yaml beside teacher_model)
teacher_mode=online     # online: KD students run the teacher every step; cached: stage 9 runs it once, students read it
cache_topk=8            # cached: non-blank tokens kept per frame (+ blank + rest); 0 keeps all (losses exact)
student_configs="conf/train_student_alone.yaml conf/train_student_sfmx_kd.yaml conf/train_student_guide_ctc.yaml conf/train_student_blank_elim_kd.yaml conf/train_student_fpkd_stage1.yaml conf/train_student_fpkd_stage2.yaml conf/train_student_fpkd_stage3.yaml conf/train_student_skd.yaml conf/train_student_skd_blank_masked.yaml" # student configs (every method of the papers); system name = file name without train_ and .yaml
init_chain="student_fpkd_stage2:student_fpkd_stage1 student_fpkd_stage3:student_fpkd_stage2 student_layer_pruned:teacher" # "child:parent ..." students initialised from another's best checkpoint (FPKD stages; a parent with more blocks is layer-pruned to the child's)
skd_init=scratch        # scratch or teacher: SKD (model: self_kd) systems start from the teacher's best checkpoint (same architecture)
skd_sub_head=copy       # an SKD system started from a model without a sub-head: copy its trained CTC head, or a new head (new)
seeds="1"               # one training per seed; with several, systems are named <name>_seed<k>
systems=""              # only these systems (names as in exp/) in stages 10-15; default: all
retrain=false           # true: a system trained (or started) with other settings than now, or whose checkpoint.pth is damaged, is moved aside (exp/<name>.old.<time>) and trained again
train_args=""           # extra options for every asr_kd_train call
decoder=greedy          # greedy (batched, ctc_kd.bin.decode) or beam (ESPnet's Speech2Text)
decode_args=""          # extra options for ctc_kd.bin.decode, e.g. "--beam_size 10 --ctc_weight 0.3"
decode_config=""        # YAML of ctc_kd.bin.decode options, e.g. conf/decode_beam.yaml; its decoder key sets --decoder
align_set=""            # stage 13: the set of the spike-timing analysis (default: valid_set)
align_args=""           # extra options for ctc_kd.bin.alignment, e.g. "--max_offset 5 --plot_utt <utt id>"
main_metric=cer         # cer or wer: the metric the results table leads with
results_title=""        # title of RESULTS.md
results_reading=""      # a Markdown file with the reading of the results, included in RESULTS.md (e.g. local/reading.md)
baseline=""             # the system relative error reductions refer to (default: the first student)
baseline_of=""          # systems compared with a baseline of their own, "system:baseline ..." (e.g. another architecture)
python=python

# ---- parse ------------------------------------------------------------------------------------------------------
help_message=$(sed -n '/^# ---- options/,/^# ---- parse/p' "$0" | sed '1d;$d' | sed 's/^\([a-z_0-9]*\)=\(.*\)/  --\1 \2/')
usage() {
    cat <<EOF
Usage: $0 [--option value] ...   (--option-name is taken for --option_name, as in ESPnet's scripts)
The stages: 1 data, 2 speed perturbation, 3 audio formatting, 4 filtering, 5 token list, 6 feature statistics,
7 teacher training, 8 teacher decoding and scoring, 9 teacher-output cache (--teacher_mode cached), 10 student trainings,
11 decoding, 12 scoring, 13 alignment analysis (spike timing vs the teacher), 14 results table (RESULTS.md),
15 export (plain ESPnet model + zip).
Options (default value, then what it is):
$help_message
EOF
}
command_line="$0$(printf ' %q' "$@")"  # quoted: it can be pasted back into a shell
while [ $# -gt 0 ]; do
    case $1 in
        --help|-h) usage; exit 0 ;;
        --*)
            name=${1#--}
            name=${name//-/_}  # --a-b is --a_b
            if ! declare -p "$name" >/dev/null 2>&1 || ! grep -q "^${name}=" "$0"; then
                echo "$0: unknown option $1 (see --help)" >&2; exit 2
            fi
            [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
            printf -v "$name" '%s' "$2"; shift 2 ;;
        *) echo "$0: unexpected argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# shellcheck source=path.sh
. ./path.sh
# shellcheck source=cmd.sh
. ./cmd.sh
# shellcheck source=utils/parallel_jobs.sh
. ./utils/parallel_jobs.sh
inference_cmd=$decode_cmd  # decoding, analysis and the teacher cache: on GPUs one each
[ "$ngpu" -eq 0 ] || inference_cmd="$cuda_cmd --gpu 1"

mkdir -p log
run_log=log/asr_kd.$(date '+%Y%m%d-%H%M%S').log
exec > >(tee -a "$run_log") 2>&1
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (asr_kd.sh:${BASH_LINENO[0]}) $*"; }
die() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (asr_kd.sh:${BASH_LINENO[0]}) ERROR: $*"; exit 1; }
# shellcheck disable=SC2154  # rc is assigned by the trap's own command
trap 'rc=$?; [ $rc -eq 0 ] || echo "$(date '"'"'+%Y-%m-%dT%H:%M:%S'"'"') (asr_kd.sh) stopped with an error (exit $rc) in the stage above; fix it and re-run with --stage <that stage>; finished work is kept"' EXIT
log "$command_line"
log "log of this run: $run_log"

want() { [ "$stage" -le "$1" ] && [ "$stop_stage" -ge "$1" ]; }

stage_header() { log "==== stage $1: $2 ===="; }

# Run a command as jobs 1..$2 through the launcher $1 (cmd.sh's, with its options), logs $3 (with JOB); when a job
# fails, the end of its log goes to the run log. "JOB" in the command becomes each job's number.
run_jobs() {
    local launcher=$1 jobs=$2 logs=$3 job job_log; shift 3
    # shellcheck disable=SC2086  # the launcher and its options
    $launcher JOB=1:"$jobs" "$logs" "$@" && return 0
    for ((job = 1; job <= jobs; job++)); do
        job_log=${logs//JOB/$job}
        tail -n 1 "$job_log" 2> /dev/null | grep -q 'exit code 0$' && continue
        echo "---- the end of $job_log:"
        tail -n 20 "$job_log" 2> /dev/null || echo "(no log: the job did not start)"
    done
    return 1
}

# The jobs to split data dirs ($@) into: --inference_nj, or fewer for a dir of fewer utterances.
inference_jobs() {
    local jobs=$inference_nj dir count
    for dir in "$@"; do
        count=$(wc -l < "$dir/wav.scp")
        [ "$count" -ge "$jobs" ] || jobs=$count
    done
    echo "$jobs"
}

# One run at a time on what is being written: work_on <what> drops the lock of what came before and takes
# log/locks/<what>.lock (flock): a stage of 1-4 (data/, dump/), the token list, statistics or teacher of one --expdir,
# one system of stages 10-15, RESULTS.md. Two runs of different systems or different --expdir go side by side; a
# run that finds the lock taken stops, naming the run that holds it (or, with `wait` as $2 in the short stages 11-15,
# waits for it and then finds its work done).
lock_fd=""
work_on() {
    local file=log/locks/${1//\//_}.lock
    [ -z "$lock_fd" ] || exec {lock_fd}>&-
    lock_fd=""
    command -v flock > /dev/null || return 0  # no flock (e.g. macOS): no locking
    mkdir -p log/locks
    exec {lock_fd}>> "$file"
    # a few seconds' grace: the processes of a run killed just before may still be exiting
    flock -w 10 "$lock_fd" && { echo "$$" > "$file"; return 0; }
    [ "${2:-}" = wait ] || die "another run of this recipe (pid $(cat "$file")) is working on $1 (lock $file): \
wait until it finishes; runs of different systems (--systems) or with another --expdir can go side by side"
    log "waiting for the run (pid $(cat "$file")) that is working on $1 (lock $file)"
    flock "$lock_fd"
    echo "$$" > "$file"
}

# ---- derived settings ---------------------------------------------------------------------------------------------
if [ -n "$decode_config" ]; then
    [ -f "$decode_config" ] || die "--decode_config $decode_config does not exist (e.g. conf/decode_beam.yaml)"
    config_decoder=$($python -m ctc_kd.bin.experiment_info get "$decode_config" decoder)
    decoder=${config_decoder:-$decoder}
    decode_args="--decode_config $decode_config $decode_args"
fi
data_feats=$dumpdir/raw
train_sp=$train_set
[ -n "$speed_perturb_factors" ] && train_sp=${train_set}_sp
case $token_type in
    char) token_dir=data/token_list/char ;;
    bpe) token_dir=data/token_list/bpe_${bpe_model_type}${nbpe} ;;
    *) die "--token_type must be char or bpe, not '$token_type'" ;;
esac
token_list=$token_dir/tokens.txt
bpemodel=$token_dir/bpe.model
stats_dir=$expdir/asr_stats_${token_type}  # + the vocabulary size for bpe: text shapes differ per token list
[ "$token_type" = bpe ] && stats_dir+=$nbpe
align_set=${align_set:-$valid_set}
token_args=(--token_type "$token_type" --token_list "$token_list")
[ "$token_type" = bpe ] && token_args+=(--bpemodel "$bpemodel")

teacher_dir=$expdir/$teacher_name
case $skd_init in scratch|teacher) ;; *) die "--skd_init must be scratch or teacher, not '$skd_init'" ;; esac
teacher_train_config=$teacher_dir/config.yaml
teacher_checkpoint=""  # known after stage 7: the best checkpoint by the config's criterion

# ESPnet's launcher reaches the other nodes through slurm (cmd_backend=slurm, whose cuda_cmd is slurm.pl) or mpirun with
# mpi4py: refuse a multi-node training up front that would end in "mpirun: command not found".
check_multi_node() {
    [ "$num_nodes" -gt 1 ] || return 0
    [ "$(basename "${cuda_cmd%% *}")" = slurm.pl ] && return 0
    command -v mpirun > /dev/null && $python -c 'import mpi4py' 2> /dev/null && return 0
    die "--num_nodes $num_nodes: ESPnet's launcher starts the other nodes through slurm or through mpirun with mpi4py, \
but cmd_backend is '$cmd_backend' (cuda_cmd '$cuda_cmd' in cmd.sh) and $(command -v mpirun > /dev/null \
&& echo 'mpi4py is not installed' || echo 'mpirun is not installed'): on a slurm cluster run with --cmd_backend slurm \
(or set cmd_backend=slurm in cmd.sh), or install MPI and mpi4py, or train on this node alone (--num_nodes 1 --ngpu \
<GPUs here>)"
}
if want 7 || want 10; then check_multi_node; fi

# Whether a data stage's output ($1) is done with these parameters ($2, "name=value ..."), said in the log when it is;
# one made with other parameters is refused with both (its .done records them), never reused under the new ones.
done_with() {
    local out=$1 params=$2 recorded
    [ -e "$out/.done" ] || return 1
    recorded=$(cat "$out/.done")
    [ -z "$recorded" ] || [ "$recorded" = "$params" ] || die "$out was made with $recorded, not $params: give the \
options it was made with, or write the new data elsewhere (--dumpdir and --expdir of their own), or delete $out and \
everything made from it (later stages' data, statistics and models) to redo it"
    log "skip $out: done${recorded:+ ($recorded)}"
}
mark_done() { echo "$2" > "$1/.done"; }

system_name() { local base; base=$(basename "$1" .yaml); echo "${base#train_}"; }
# Systems to train, with their configs and seeds: "name config seed" per line.
student_plan() {
    local config name seed n_seeds
    n_seeds=$(echo $seeds | wc -w)
    for config in $student_configs; do
        name=$(system_name "$config")
        for seed in $seeds; do
            if [ "$n_seeds" -gt 1 ]; then echo "${name}_seed${seed} $config $seed"; else echo "$name $config $seed"; fi
        done
    done
}
selected() { [ -z "$systems" ] || [[ " $systems " == *" $1 "* ]] || [[ " $systems " == *" ${1%_seed*} "* ]]; }
best_checkpoint() { $python -m ctc_kd.bin.experiment_info best-checkpoint "$1"; }
teacher_ready() {
    [ -e "$teacher_dir/.done" ] || die "the teacher is not trained: run stage 7 first, or pass --teacher_model"
    teacher_checkpoint=$(best_checkpoint "$teacher_dir")
}

# teacher_model_file=<the teacher's selected weights> when the teacher is trained and its weights are here.
known_teacher() {
    local checkpoint
    [ -e "$teacher_dir/.done" ] && checkpoint=$(best_checkpoint "$teacher_dir" 2> /dev/null) \
        && echo "teacher_model_file=$checkpoint"
    return 0
}

# The settings that made a training, as options of ctc_kd.bin.made_by (in the array `record`): config, seed, data,
# token list and statistics, and the teacher's and the parent's weights when the trainer options ($3...) name them.
made_by_record() {
    local config=$1 seed=$2 option; shift 2
    record=(--config "$config" --value "seed=$seed" --value "train_args=$train_args"
        --value "data=$data_feats/$train_sp $data_feats/$valid_set" --file "token_list=$token_list"
        --file "feature_stats=$stats_dir/train/feats_stats.npz")
    for option in "$@"; do
        case $option in
            teacher_model_file=*) record+=(--file "teacher=${option#*=}") ;;
            teacher_mode=*) record+=(--value "$option") ;;
            *.pth|*.pth:*) record+=(--file "init_from=${option%%:*}") ;;
        esac
    done
}

# Move exp/<name> aside with --retrain true (nothing is deleted); otherwise stop, saying why ($2) and the fixes.
retrain_or_die() {
    local dir=$expdir/$1 aside
    if [ "$retrain" = true ]; then
        aside=$dir.old.$(date '+%Y%m%d-%H%M%S')
        mv "$dir" "$aside"
        log "moved $dir aside to $aside (--retrain true): $2; training it again"
        return 0
    fi
    die "$dir: $2
Keep it and train the new settings under a new system name (copy its config to conf/train_<new name>.yaml), or \
re-run with --retrain true to move $dir aside (to $dir.old.<time>) and train it again"
}

# The recorded settings of exp/<name> (made_by.json) against the ones given now; a difference is refused (or, with
# --retrain true, moves the run aside). --write records them for a training about to start.
check_made_by() {
    local name=$1 changed; shift
    changed=$($python -m ctc_kd.bin.made_by "$expdir/$name" "$@" "${record[@]}") && return 0
    retrain_or_die "$name" "it was made with other settings than now (then -> now):
$changed"
}

# Whether exp/<name> is trained with the settings given now (config $2, seed $3, trainer options $4...), said in the
# log when it is.
skip_trained() {
    local dir=$expdir/$1
    [ -e "$dir/.done" ] || return 1
    made_by_record "$2" "${3:-}" "${@:4}"
    check_made_by "$1" || return 1  # moved aside by --retrain true: train it again
    [ -e "$dir/.done" ] || return 1
    if [ -e "$dir/made_by.json" ]; then
        log "skip $dir: trained already with these settings"
    else
        log "skip $dir: trained already (before runs recorded their settings in made_by.json: not compared)"
    fi
}

# Refuse to resume from a checkpoint.pth cut short by a kill while ESPnet saved it (ESPnet cannot load it).
check_resumable() {
    local dir=$expdir/$1
    [ -e "$dir/checkpoint.pth" ] || return 0
    whole "$dir/checkpoint.pth" "ESPnet cannot resume from it" && return 0
    retrain_or_die "$1" "its checkpoint.pth is damaged, so the training cannot resume (its <n>epoch.pth hold the \
weights but not the optimiser's state); to train again from epoch 1 in $dir instead, move $dir/checkpoint.pth aside"
}

# Train one system with ESPnet's trainer (resumes from checkpoint.pth); writes exp/<name>/.done when finished.
train_system() {
    local name=$1 config=$2 seed=$3; shift 3
    local dir=$expdir/$name
    skip_trained "$name" "$config" "$seed" && return 0
    [ -f "$config" ] || die "training config $config does not exist"
    check_resumable "$name"
    made_by_record "$config" "$seed" "$@"
    check_made_by "$name" --write || $python -m ctc_kd.bin.made_by "$dir" --write "${record[@]}" > /dev/null
    mkdir -p "$dir"
    local resumed=false
    [ -e "$dir/checkpoint.pth" ] && resumed=true && log "resuming $dir from its checkpoint.pth"
    echo "$command_line" >> "$dir/recipe_commands"  # the results table lists these under "How this was produced"
    local args=(--config "$config" --output_dir "$dir" --ngpu "$ngpu" --resume true "${token_args[@]}" ${seed:+--seed "$seed"}
        --train_data_path_and_name_and_type "$data_feats/$train_sp/wav.scp,speech,sound"
        --train_data_path_and_name_and_type "$data_feats/$train_sp/text,text,text"
        --valid_data_path_and_name_and_type "$data_feats/$valid_set/wav.scp,speech,sound"
        --valid_data_path_and_name_and_type "$data_feats/$valid_set/text,text,text"
        --train_shape_file "$stats_dir/train/speech_shape" --train_shape_file "$stats_dir/train/text_shape.$token_type"
        --valid_shape_file "$stats_dir/valid/speech_shape" --valid_shape_file "$stats_dir/valid/text_shape.$token_type"
        --normalize_conf "stats_file=$stats_dir/train/feats_stats.npz" "$@")
    # shellcheck disable=SC2206
    args+=($train_args)
    log "training $dir ($config), log: $dir/train.log"
    local start=$SECONDS
    if [ "$ngpu" -gt 1 ] || [ "$num_nodes" -gt 1 ]; then
        $python -m espnet2.bin.launch --cmd "$cuda_cmd" --log "$dir/train.log" --ngpu "$ngpu" \
            --num_nodes "$num_nodes" --init_file_prefix "$dir/.dist_init_" --multiprocessing_distributed true -- \
            $python -m ctc_kd.bin.asr_kd_train "${args[@]}" \
            || training_failed "$name"
    else
        # shellcheck disable=SC2086  # the launcher and its options
        $cuda_cmd --gpu "$ngpu" "$dir/train.log" $python -m ctc_kd.bin.asr_kd_train "${args[@]}" \
            || { tail -n 20 "$dir/train.log"; training_failed "$name"; }
    fi
    # the wall time of a training done in one sitting; a resumed one's sittings are not all known (train.log's
    # per-epoch times, which the results table adds up, are)
    if [ "$resumed" = false ]; then echo "$((SECONDS - start))" > "$dir/train_seconds"; else rm -f "$dir/train_seconds"; fi
    touch "$dir/.done"
    log "trained $dir in $((SECONDS - start)) s$($resumed && echo " (this sitting)"); best checkpoint: $(best_checkpoint "$dir")"
}

# Stop after a failed training, saying whether re-running resumes it.
training_failed() {
    local dir=$expdir/$1 next="re-running resumes it from its checkpoint.pth"
    [ -e "$dir/checkpoint.pth" ] || next="re-running starts it again"
    [ ! -e "$dir/checkpoint.pth" ] || whole "$dir/checkpoint.pth" "ESPnet cannot resume from it" \
        || next="re-run with --retrain true to move $dir aside and train it again"
    die "training $dir failed: see $dir/train.log ($next)"
}

# Whether a torch file or zip is whole; when it is not (a kill or a full disk while it was written), says so and
# what happens next ($2) on stderr, which shows in the log from inside $(...) too.
whole() {
    local problem
    problem=$($python -m ctc_kd.bin.experiment_info check-whole "$1") && return 0
    log "$problem: $2" >&2
    return 1
}

# Where exp/<system>'s plain ESPnet model comes from: its export, or (when that is missing, older than the best
# checkpoint or damaged) the training, exported into exp/<system>/export on the way.
model_args() {
    local dir=$expdir/$1 checkpoint
    checkpoint=$(best_checkpoint "$dir")
    if [ -e "$dir/export/model.pth" ] && [ "$dir/export/model.pth" -nt "$checkpoint" ] \
        && whole "$dir/export/model.pth" "exporting $checkpoint again"; then
        echo --model_dir "$dir/export"
    else
        echo --config "$dir/config.yaml" --model_file "$checkpoint" --export_dir "$dir/export"
    fi
}

# A finished run whose model is not in this copy: the repository keeps only the text artefacts of its trainings
# (train.log, hypotheses, scores), so stages that need the model skip it and keep those.
results_only() {
    local dir=$expdir/$1
    [ -e "$dir/.done" ] && [ ! -e "$dir/export/model.pth" ] && ! compgen -G "$dir/*.pth" > /dev/null
}
skip_results_only() {
    results_only "$1" || return 1
    log "skip $1: only its results are here, not its model (delete $expdir/$1 to train it again)"
}

export_system() {
    local dir=$expdir/$1 args
    args=$(model_args "$1")
    [[ $args == --model_dir* ]] && return 0
    # shellcheck disable=SC2086
    $python -m ctc_kd.bin.export_student ${args/--export_dir/--out_dir} > "$dir/export.log" 2>&1 \
        || die "exporting $dir failed: see $dir/export.log"
}

# Decode one system on every test set in one process (exporting it first if needed), or in --inference_nj jobs
# each decoding its shard of every set (ctc_kd.data.split), merged per set; skips finished decodings.
decode_system() {
    local name=$1 dir=$expdir/$1 set out model jobs
    model=$(model_args "$name")
    local data_dirs=() out_dirs=() before=() i
    for set in $test_sets; do
        out=$dir/decode_$decoder/$set
        data_dirs+=("$data_feats/$set") out_dirs+=("$out") before+=("$(cksum 2> /dev/null < "$out/decode_info.json" || true)")
    done
    mkdir -p "$dir/decode_$decoder"
    local decode_log=$dir/decode_$decoder/decode.log
    # a set (or shard) already decoded by these weights, from this wav.scp, with this search is kept (decode_info.json)
    local options=(--decoder "$decoder" --ngpu "$((ngpu > 0 ? 1 : 0))" --skip_decoded)
    jobs=$(inference_jobs "${data_dirs[@]}")
    if [ "$jobs" -eq 1 ]; then
        # shellcheck disable=SC2086
        run_jobs "$inference_cmd" 1 "$decode_log" $python -m ctc_kd.bin.decode $model --data_dir "${data_dirs[@]}" \
            --output_dir "${out_dirs[@]}" "${options[@]}" $decode_args || die "decoding with $dir/export failed: see $decode_log"
    else
        export_system "$name"  # once, before the jobs that read it
        local logs=$dir/decode_$decoder/log/decode.JOB.log
        $python -m ctc_kd.data.split --num_shards "$jobs" "${data_dirs[@]}" >> "$decode_log" 2>&1 \
            || die "splitting ${data_dirs[*]} into $jobs failed: see $decode_log"
        # shellcheck disable=SC2086
        run_jobs "$inference_cmd" "$jobs" "$logs" $python -m ctc_kd.bin.decode --model_dir "$dir/export" \
            --data_dir "${data_dirs[@]/%//split$jobs/JOB}" --output_dir "${out_dirs[@]/%//split$jobs/JOB}" "${options[@]}" \
            $decode_args || die "decoding with $dir/export failed: see $logs"
        $python -m ctc_kd.bin.merge_decodings --num_shards "$jobs" --data_dir "${data_dirs[@]}" --output_dir "${out_dirs[@]}" \
            --shard_log "$logs" >> "$decode_log" 2>&1 || { tail -n 5 "$decode_log"; die "merging the decodings of $dir failed: see $decode_log"; }
    fi
    for i in "${!out_dirs[@]}"; do
        out=${out_dirs[$i]}
        if [ "$(cksum < "$out/decode_info.json")" = "${before[$i]}" ]; then  # a new decoding has new timings
            log "kept $out: decoded already by these weights, from this wav.scp, with this search"
        else
            log "decoded $out: $(grep -o '"rtf": [0-9.e-]*' "$out/decode_info.json" || true)"
        fi
    done
}

score_system() {
    local dir=$expdir/$1 set out unit
    for set in $test_sets; do
        out=$dir/decode_$decoder/$set
        [ -e "$out/text" ] || die "no hypotheses in $out: run stage 11 (decoding) first"
        for unit in cer wer $( [ "$token_type" = bpe ] && echo ter ); do
            local unit_args=(--unit "${unit/cer/char}")
            [ "$unit" = wer ] && unit_args=(--unit word)
            [ "$unit" = ter ] && unit_args=(--unit token --token_list "$token_list" --bpemodel "$bpemodel")
            $python -m ctc_kd.bin.score --ref "$data_feats/$set/text" --hyp "$out/text" "${unit_args[@]}" \
                --utt2spk "$data_feats/$set/utt2spk" --out_dir "$out/score_$unit" > "$out/score_$unit.log" 2>&1 \
                || die "scoring $out failed: see $out/score_$unit.log"
        done
        log "scored $out: CER $(json_err "$out/score_cer/score.json")%, WER $(json_err "$out/score_wer/score.json")%"
    done
}
json_err() { $python -c 'import json,sys; print(json.load(open(sys.argv[1]))["err"])' "$1"; }

all_systems() {
    echo "$teacher_name"
    student_plan | while read -r name _ _; do echo "$name"; done
}

# ---- stage 1: data preparation --------------------------------------------------------------------------------
if want 1; then
    stage_header 1 "data preparation (local/data.sh)"
    work_on "stage1"
    # shellcheck disable=SC2086
    local/data.sh $local_data_opts
    for set in $train_set $valid_set $test_sets; do
        $python -m ctc_kd.data.validate "data/$set" || die "data/$set is not a valid data dir (see above)"
    done
fi

# ---- stage 2: speed perturbation ------------------------------------------------------------------------------
if want 2; then
    stage_header 2 "speed perturbation"
    work_on "stage2"
    if [ -z "$speed_perturb_factors" ]; then
        log "no --speed_perturb_factors: skipped"
    elif ! done_with "data/$train_sp" "speed_perturb_factors=$speed_perturb_factors"; then
        # shellcheck disable=SC2086
        $python -m ctc_kd.data.speed_perturb --factors $speed_perturb_factors "data/$train_set" "data/$train_sp"
        mark_done "data/$train_sp" "speed_perturb_factors=$speed_perturb_factors"
    fi
fi

# ---- stage 3: audio formatting ---------------------------------------------------------------------------------
if want 3; then
    stage_header 3 "audio formatting into $data_feats/org at $fs Hz"
    work_on "stage3"
    for set in $train_sp $valid_set $test_sets; do
        [ -d "data/$set" ] || die "data/$set does not exist: run stages 1-2 first"
        out=$data_feats/org/$set
        params="fs=$fs audio_format=$audio_format"
        done_with "$out" "$params" && continue
        # shellcheck disable=SC2206  # $python is a command (with options)
        format=($python -m ctc_kd.data.format_audio --fs "$fs" --audio_format "$audio_format" "data/$set" "$out")
        run_jobs "$train_cmd" "$nj" "$out/jobs/log/format_audio.JOB.log" "${format[@]}" --shard JOB --num_shards "$nj" \
            || die "formatting data/$set failed: see $out/jobs/log/format_audio.*.log (re-running keeps the files done)"
        "${format[@]}" --merge_shards "$nj" --shard_log "$out/jobs/log/format_audio.JOB.log" || die "merging $out failed (above)"
        mark_done "$out" "$params"
    done
fi

# ---- stage 4: filtering ----------------------------------------------------------------------------------------
if want 4; then
    stage_header 4 "filtering by duration ($min_sec-$max_sec s) and empty text"
    work_on "stage4"
    for set in $train_sp $valid_set; do
        out=$data_feats/$set
        params="fs=$fs min_sec=$min_sec max_sec=$max_sec"
        done_with "$out" "$params" && continue
        $python -m ctc_kd.data.filter --fs "$fs" --min_sec "$min_sec" --max_sec "$max_sec" "$data_feats/org/$set" "$out"
        mark_done "$out" "$params"
    done
    for set in $test_sets; do  # test sets are scored whole: linked, not filtered
        [ "$set" = "$valid_set" ] && continue
        [ -e "$data_feats/$set" ] || ln -s "org/$set" "$data_feats/$set"
    done
fi

# ---- stage 5: token list ---------------------------------------------------------------------------------------
if want 5; then
    stage_header 5 "token list ($token_type)"
    work_on "$token_dir"
    if [ -e "$token_list" ]; then
        log "skip $token_list: exists (delete $token_dir to rebuild; every model depends on it)"
    else
        $python -m ctc_kd.data.token_list --unit "$token_type" --text "$data_feats/$train_sp/text" --out_dir "$token_dir" \
            --vocab_size "$nbpe" --bpe_model_type "$bpe_model_type"
    fi
fi

# ---- stage 6: feature statistics -------------------------------------------------------------------------------
if want 6; then
    stage_header 6 "feature statistics for global mean-variance normalisation (shared by teacher and students)"
    work_on "$stats_dir"
    if [ -e "$stats_dir/.done" ]; then
        log "skip $stats_dir: done"
    else
        config=$teacher_config
        [ -n "$teacher_model" ] && config=${external_teacher_config:-$(dirname "$teacher_model")/config.yaml}
        # shellcheck disable=SC2206  # $python is a command (with options)
        stats=($python -m ctc_kd.bin.collect_stats --config "$config" --output_dir "$stats_dir" \
            --train_dir "$data_feats/$train_sp" --valid_dir "$data_feats/$valid_set" "${token_args[@]}")
        run_jobs "$train_cmd" "$nj" "$stats_dir/logs/stats.JOB.log" "${stats[@]}" --shard JOB --num_shards "$nj" \
            || die "feature statistics failed: see $stats_dir/logs"
        "${stats[@]}" --merge_shards "$nj" --shard_log "$stats_dir/logs/stats.JOB.log" > "$stats_dir/logs/merge.log" 2>&1 \
            || { tail -n 5 "$stats_dir/logs/merge.log"; die "merging the statistics failed: see $stats_dir/logs/merge.log"; }
        touch "$stats_dir/.done"
    fi
fi

# ---- stage 7: teacher -------------------------------------------------------------------------------------------
if want 7; then
    stage_header 7 "teacher training"
    work_on "$teacher_dir"
    if [ -n "$teacher_model" ]; then
        # imported as exp/<teacher_name>, so that every later stage treats it like a teacher trained here
        $python -m ctc_kd.bin.import_teacher "$teacher_model" \
            "${external_teacher_config:-$(dirname "$teacher_model")/config.yaml}" "$teacher_dir" --token_list "$token_list"
        touch "$teacher_dir/.done"
        log "using the teacher $teacher_model as $teacher_dir"
    else
        [ ! -L "$teacher_dir/external.pth" ] || die "$teacher_dir is the teacher imported from \
$(readlink "$teacher_dir/external.pth") (--teacher_model): pass that --teacher_model again to use it, or train a \
teacher here under another name (--teacher_name)"
        train_system "$teacher_name" "$teacher_config" ""
    fi
fi

# ---- stage 8: teacher decoding and scoring ----------------------------------------------------------------------
if want 8; then
    stage_header 8 "teacher decoding and scoring"
    work_on "$teacher_dir"
    teacher_ready
    decode_system "$teacher_name"
    score_system "$teacher_name"
fi

# ---- stage 9: teacher-output cache ------------------------------------------------------------------------------
cache_dir=$teacher_dir/cache
if want 9; then
    stage_header 9 "teacher-output cache (--teacher_mode $teacher_mode)"
    work_on "$teacher_dir"
    if [ "$teacher_mode" = cached ]; then
        teacher_ready
        # shellcheck disable=SC2086
        layers=$($python -m ctc_kd.bin.experiment_info cache-layers $student_configs)
        for set in $train_sp $valid_set; do
            out=$cache_dir/$set
            if [ -e "$out/meta.json" ]; then log "skip $out: done (delete it to rebuild)"; continue; fi
            log "caching the teacher's outputs on $data_feats/$set in $out (top-$cache_topk, hidden layers: ${layers:-none})"
            mkdir -p "$cache_dir"
            # shellcheck disable=SC2206  # $python is a command (with options), the layers are words
            cache=($python -m ctc_kd.bin.teacher_cache --teacher_config "$teacher_train_config" \
                --teacher_model_file "$teacher_checkpoint" --data_dir "$data_feats/$set" --out_dir "$out" \
                --topk "$cache_topk" --hidden_layers $layers)
            run_jobs "$inference_cmd" "$nj" "$cache_dir/log/$set.JOB.log" "${cache[@]}" --ngpu "$((ngpu > 0 ? 1 : 0))" \
                --shard JOB --num_shards "$nj" || die "caching into $out failed: see $cache_dir/log/$set.*.log (re-running resumes it)"
            "${cache[@]}" --merge_shards "$nj" --shard_log "$cache_dir/log/$set.JOB.log" > "$out.log" 2>&1 \
                || { tail -n 20 "$out.log"; die "merging the cache $out failed: see $out.log"; }
            log "cached $out: $(grep -o 'wrote .*' "$out.log" | tail -n 1)"
        done
    else
        log "--teacher_mode online: KD students run the teacher themselves; skipped"
    fi
fi

# Trainer options that make a kd_student read the stage-9 cache instead of running the teacher.
cache_args() {
    local config=$1 phase set layer
    echo --model_conf teacher_mode=cached
    for phase in train valid; do
        set=$train_sp; [ $phase = valid ] && set=$valid_set
        [ -e "$cache_dir/$set/meta.json" ] || return 1
        echo "--${phase}_data_path_and_name_and_type $cache_dir/$set/teacher_posteriors.scp,teacher_posteriors,kaldi_ark"
        for layer in $($python -m ctc_kd.bin.experiment_info cache-layers "$config"); do
            [ "$layer" = -1 ] && layer=out
            echo "--${phase}_data_path_and_name_and_type $cache_dir/$set/teacher_hidden_$layer.scp,teacher_hidden_$layer,kaldi_ark"
        done
    done
}

# The folder whose weights exp/<name> starts from: its --init_chain parent (of the same seed), the teacher for SKD
# systems with --skd_init teacher, or none (from scratch).
parent_dir() {
    local name=$1 config=$2 parent
    parent=$($python -m ctc_kd.bin.experiment_info parent "$(system_name "$config")" "$init_chain")
    if [ -z "$parent" ] && [ "$skd_init" = teacher ] \
        && [ "$($python -m ctc_kd.bin.experiment_info get "$config" model)" = self_kd ]; then
        parent=$teacher_name
    fi
    if [ -z "$parent" ]; then echo ""
    elif [ "$parent" = "$teacher_name" ]; then echo "$teacher_dir"
    else echo "$expdir/$parent${name#"$(system_name "$config")"}"
    fi
}

# A started or finished run keeps the start it was trained from (its config.yaml's init_param): another is refused.
# same_start <name> <parent dir or ""> <config>: without a parent, the run starts where its config's own init_param says.
same_start() {
    local dir=$expdir/$1 wanted recorded
    [ -e "$dir/.done" ] || [ -e "$dir/checkpoint.pth" ] || return 0
    if [ -n "${2:-}" ]; then wanted=$(basename "$2")
    else wanted=$($python -m ctc_kd.bin.experiment_info initialised-from "$3")
    fi
    recorded=$($python -m ctc_kd.bin.experiment_info initialised-from "$dir")
    [ "$wanted" = "$recorded" ] || die "$dir was trained from ${recorded:-scratch}, but this run would start it from \
${wanted:-scratch} (--skd_init $skd_init, --init_chain): delete $dir to train it again, or keep the options it was trained with"
}

# ---- stage 10: students -----------------------------------------------------------------------------------------
if want 10; then
    stage_header 10 "student trainings"
    [ -n "$student_configs" ] || log "no --student_configs: nothing to train"
    train_jobs=1  # this machine's GPUs train one system at a time; its CPU cores, or a cluster's jobs, $nj side by side
    if [ "$cmd_backend" != local ] || { [ "$ngpu" -eq 0 ] && [ "$num_nodes" -eq 1 ]; }; then train_jobs=$nj; fi
    while read -r name config seed; do
        [ -n "$name" ] || continue
        selected "$name" || { log "skip $name: not in --systems"; continue; }
        work_on "$expdir/$name"
        parent_dir=$(parent_dir "$name" "$config")
        same_start "$name" "$parent_dir" "$config"
        model=$($python -m ctc_kd.bin.experiment_info get "$config" model)
        # before asking for the teacher and the parent, which a finished run no longer needs (a clone lacks them);
        # the teacher's weights are compared when they are here
        teacher_setting=()  # a KD student's teacher weights, compared when they are here
        if [ "$model" = kd_student ]; then
            teacher=$(known_teacher)
            [ -z "$teacher" ] || teacher_setting=("$teacher")
        fi
        skip_trained "$name" "$config" "$seed" "${teacher_setting[@]}" && continue
        extra=()
        if [ "$model" = kd_student ]; then
            teacher_ready  # only KD students need it: the student alone and SKD train without a teacher
            extra+=(--model_conf "teacher_config=$teacher_train_config" --model_conf "teacher_model_file=$teacher_checkpoint")
            if [ "$teacher_mode" = cached ]; then
                cached=$(cache_args "$config") \
                    || die "no teacher-output cache for $train_sp and $valid_set in $cache_dir: run stage 9 first"
                # shellcheck disable=SC2206
                extra+=($cached)
            fi
        fi
        if [ -n "$parent_dir" ]; then
            if [ "$parent_dir" = "$teacher_dir" ]; then
                teacher_ready
            else
                wait_jobs  # the parent may be training still
                [ -e "$parent_dir/.done" ] || die "$name starts from $parent_dir, which is not trained: list its config first"
            fi
            ! results_only "${parent_dir#"$expdir"/}" || die "$name starts from $parent_dir, whose model is not here \
(only its results): delete $parent_dir and train it again"
            spec_lines=$($python -m ctc_kd.bin.experiment_info init-param "$parent_dir" "$config" --token_list "$token_list" \
                --stats_file "$stats_dir/train/feats_stats.npz" --sub_head "$skd_sub_head") || die "$name cannot start from $parent_dir (above)"
            mapfile -t specs <<< "$spec_lines"
            extra+=(--init_param "${specs[@]}")
            log "$name starts from $parent_dir: ${specs[*]}"
        fi
        start_job "$train_jobs" train_system "$name" "$config" "$seed" "${extra[@]}"
    done < <(student_plan)
    wait_jobs
fi

# ---- stage 11: decoding -----------------------------------------------------------------------------------------
if want 11; then
    stage_header 11 "decoding ($decoder) of every system on $test_sets"
    for set in $test_sets; do
        [ -e "$data_feats/$set/wav.scp" ] || die "$data_feats/$set/wav.scp does not exist: run stages 3-4 with \
--test_sets \"$test_sets\" first, or leave $set out of --test_sets"
    done
    for name in $(all_systems); do
        selected "$name" || [ "$name" = "$teacher_name" ] || continue
        work_on "$expdir/$name" wait
        [ -e "$expdir/$name/.done" ] || { log "skip $name: not trained"; continue; }
        skip_results_only "$name" && continue
        start_job "$nj" decode_system "$name"
    done
    wait_jobs
fi

# ---- stage 12: scoring ------------------------------------------------------------------------------------------
if want 12; then
    stage_header 12 "scoring (CER, WER$( [ "$token_type" = bpe ] && echo ', TER'))"
    for name in $(all_systems); do
        selected "$name" || [ "$name" = "$teacher_name" ] || continue
        work_on "$expdir/$name" wait
        [ -e "$expdir/$name/.done" ] || continue
        start_job "$nj" score_system "$name"
    done
    wait_jobs
fi

# "kept" when alignment.json ($1/alignment.json) has the checksum $2 it had before the analysis ran, else "analysed".
kept_or_analysed() { [ "$(cksum 2> /dev/null < "$1/alignment.json")" = "$2" ] && echo kept || echo analysed; }

# Spike timing of several students against the teacher's export in one process (ESPnet and the teacher load once),
# each written to its alignment/<set>/ with its own alignment.log; the process's log is $1.
align_systems() {
    local group_log=$1 name out students=() outs=() before=() i; shift
    for name in "$@"; do
        out=$expdir/$name/alignment/$align_set
        students+=("$expdir/$name/export") outs+=("$out") before+=("$(cksum 2> /dev/null < "$out/alignment.json" || true)")
    done
    mkdir -p "${outs[@]}" "$(dirname "$group_log")"
    # a student already analysed with these weights, this wav.scp and these options is kept (alignment.json)
    # shellcheck disable=SC2086  # $python is a command (with options), the user's options are words
    run_jobs "$inference_cmd" 1 "$group_log" $python -m ctc_kd.bin.alignment --teacher_dir "$teacher_export" \
        --student_dir "${students[@]}" --out_dir "${outs[@]}" --data_dir "$data_feats/$align_set" --skip_analysed \
        --ngpu "$((ngpu > 0 ? 1 : 0))" $align_args || die "alignment analysis of $* failed: see $group_log"
    for i in "${!outs[@]}"; do
        out=${outs[$i]}
        log "$(kept_or_analysed "$out" "${before[$i]}") $out: $(grep -o '[0-9]* teacher spikes: .*' "$out/alignment.log" | tail -n 1)"
    done
}

# Spike timing of one student in --inference_nj jobs, each analysing its shard of the set, merged.
align_system_in_shards() {
    local name=$1 dir=$expdir/$1 out=$expdir/$1/alignment/$align_set jobs before
    jobs=$(inference_jobs "$data_feats/$align_set")
    mkdir -p "$out"
    before=$(cksum 2> /dev/null < "$out/alignment.json" || true)
    $python -m ctc_kd.data.split --num_shards "$jobs" "$data_feats/$align_set" >> "$out/alignment.log" 2>&1 \
        || die "splitting $data_feats/$align_set into $jobs failed: see $out/alignment.log"
    # shellcheck disable=SC2086  # $python is a command (with options), the user's options are words
    run_jobs "$inference_cmd" "$jobs" "$out/log/alignment.JOB.log" $python -m ctc_kd.bin.alignment --skip_analysed \
        --teacher_dir "$teacher_export" --student_dir "$dir/export" --ngpu "$((ngpu > 0 ? 1 : 0))" $align_args \
        --data_dir "$data_feats/$align_set/split$jobs/JOB" --out_dir "$out/split$jobs/JOB" \
        || die "alignment analysis of $dir failed: see $out/log/alignment.*.log"
    # shellcheck disable=SC2086
    $python -m ctc_kd.bin.merge_alignments --teacher_dir "$teacher_export" --student_dir "$dir/export" $align_args \
        --data_dir "$data_feats/$align_set" --out_dir "$out" --num_shards "$jobs" --shard_log "$out/log/alignment.JOB.log" \
        >> "$out/alignment.log" 2>&1 || { tail -n 20 "$out/alignment.log"; die "merging the analyses of $dir failed: see $out/alignment.log"; }
    log "$(kept_or_analysed "$out" "$before") $out: $(grep -o '[0-9]* teacher spikes: .*' "$out/alignment.log" | tail -n 1)"
}

# ---- stage 13: alignment analysis ------------------------------------------------------------------------------
if want 13; then
    stage_header 13 "alignment analysis: spike timing of every student vs $teacher_name on $align_set"
    work_on "$teacher_dir" wait
    teacher_ready
    [ -e "$data_feats/$align_set/wav.scp" ] || die "$data_feats/$align_set/wav.scp does not exist: run stages 3-4, \
or give --align_set one of: $valid_set $test_sets"
    export_system "$teacher_name"
    teacher_export=$expdir/$teacher_name/export
    trained=()
    while read -r name _ _; do
        [ -n "$name" ] || continue
        selected "$name" || continue
        work_on "$expdir/$name" wait
        [ -e "$expdir/$name/.done" ] || { log "skip $name: not trained"; continue; }
        skip_results_only "$name" && continue
        trained+=("$name")
        start_job "$nj" export_system "$name"
    done < <(student_plan)
    wait_jobs
    # every trained student goes to the analysis, which keeps what it made already with the same inputs
    if [ "$(inference_jobs "$data_feats/$align_set")" -gt 1 ]; then
        for name in "${trained[@]}"; do start_job "$nj" align_system_in_shards "$name"; done
    else  # the students split into up to $nj groups, one process each
        groups=$(( ${#trained[@]} < nj ? ${#trained[@]} : nj ))
        for ((group = 0; group < groups; group++)); do
            members=()
            for ((i = group; i < ${#trained[@]}; i += groups)); do members+=("${trained[i]}"); done
            start_job "$nj" align_systems "$expdir/log/alignment.$align_set.$((group + 1)).log" "${members[@]}"
        done
    fi
    wait_jobs
fi

# ---- stage 14: results table ------------------------------------------------------------------------------------
if want 14; then
    stage_header 14 "results table"
    work_on RESULTS.md wait
    bases=$teacher_name
    for config in $student_configs; do bases+=" $(system_name "$config")"; done
    read -r first_config _ <<< "$student_configs"
    own_baselines=""  # the --baseline_of pairs whose two systems are in this table (--student_configs may list fewer)
    for pair in $baseline_of; do
        if [[ " $bases " == *" ${pair%%:*} "* && " $bases " == *" ${pair#*:} "* ]]; then own_baselines+=" $pair"
        else log "--baseline_of $pair: not both in this table's systems, left out"; fi
    done
    # shellcheck disable=SC2086  # the system:baseline pairs are words
    $python -m ctc_kd.bin.results_table --exp_dir "$expdir" --systems "$bases" --test_sets "$test_sets" \
        --decoder "$decoder" --baseline "${baseline:-$(system_name "$first_config")}" --baseline_of $own_baselines \
        --main_metric "$main_metric" --align_set "$align_set" --align_teacher "$teacher_name" \
        --title "${results_title:-Results}" --command "$command_line" \
        ${results_reading:+--reading "$results_reading"} --out RESULTS.md
    log "wrote RESULTS.md"
fi

# Export one system (if needed) and pack it as ESPnet's zip; skips a zip newer than the export.
pack_system() {
    local name=$1 dir=$expdir/$1 zip=$expdir/$1/packed/$1.zip
    export_system "$name"
    if [ -e "$zip" ] && [ "$zip" -nt "$dir/export/model.pth" ] && whole "$zip" "packing it again"; then
        log "skip $zip: done"; return 0
    fi
    $python -m ctc_kd.bin.pack_model "$dir/export" "$zip" > "$dir/pack.log" 2>&1 \
        || die "packing $dir/export failed: see $dir/pack.log"
    log "packed $zip"
}

# ---- stage 15: export -------------------------------------------------------------------------------------------
if want 15; then
    stage_header 15 "export: plain ESPnet models packed as zips"
    for name in $(all_systems); do
        selected "$name" || [ "$name" = "$teacher_name" ] || continue
        work_on "$expdir/$name" wait
        dir=$expdir/$name
        [ -e "$dir/.done" ] || continue
        skip_results_only "$name" && continue
        start_job "$nj" pack_system "$name"
    done
    wait_jobs
fi

log "finished stages $stage-$stop_stage"
