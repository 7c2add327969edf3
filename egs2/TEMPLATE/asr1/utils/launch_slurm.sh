#!/usr/bin/env bash
# cmd_backend=slurm: the jobs of one command as one slurm job array (sbatch --wait), each task appending to its own
# log; with --num_nodes M, each task has M nodes and its command (espnet2.bin.launch's `srun ...`) a process on each.
# Usage: launch_slurm.sh [--gpu N] [--mem X] [--time T] [--num_threads N] [--num_nodes M] [--name NAME]
#        [--max_jobs_run N] [JOB=1:N] LOG COMMAND...     ("JOB" in LOG and COMMAND becomes each job's number)
# sbatch gets --gres gpu:N, --mem X, --time T, --cpus-per-task N, --nodes M --ntasks-per-node 1, --job-name NAME and
# --array 1-N%<max_jobs_run>; the partition, account, QOS... come from sbatch's own SBATCH_* variables (cmd.sh).
# Waits for every task; exits 1 naming the log of each failed one (or cancels the array when it is interrupted).
# utils/slurm.pl is this script: espnet2.bin.launch starts multi-node trainings with srun only for a --cmd of that name.
set -euo pipefail
# shellcheck source=launcher_args.sh
. "$(dirname "$(readlink -f "$0")")/launcher_args.sh"
parse_launcher_args "$@"
command -v sbatch > /dev/null || launcher_error "sbatch is not on PATH: cmd_backend=slurm submits from a machine with \
slurm's commands (a login node); elsewhere set cmd_backend=local (cmd.sh, or ./run.sh --cmd_backend local)"

# The task's script, its exit status files and sbatch's answer go to q/ beside the (first) log, as with Kaldi's slurm.pl.
first_log=$(job_log "$first_job")
queue_dir=$(dirname "$first_log")/q
name=$(basename "${log_pattern//${job_variable:-JOB}/tasks}" .log)
script=$queue_dir/$name.sh
mkdir -p "$queue_dir"
for ((job = first_job; job <= last_job; job++)); do
    mkdir -p "$(dirname "$(job_log "$job")")"
    rm -f "$queue_dir/$name.$job.status"
done
{
    echo "#!/usr/bin/env bash"
    echo "# written by launch_slurm.sh: task N of this slurm array is job N (its number for ${job_variable:-no variable})"
    echo "cd $(printf '%q' "$PWD")"
    echo "job=\${SLURM_ARRAY_TASK_ID:?not started as a task of sbatch --array}"
    echo "words=($(printf '%q ' "${command[@]}"))"
    [ -z "$job_variable" ] || echo "words=(\"\${words[@]//$job_variable/\$job}\")"
    echo "echo \"# \${words[*]}\""
    echo "echo \"# started at \$(date) on \$(hostname) (slurm job \${SLURM_JOB_ID:-?}, task \$job)\""
    echo "\"\${words[@]}\" < /dev/null"
    echo "rc=\$?"
    echo "echo \"# ended at \$(date) with exit code \$rc\""
    echo "echo \"\$rc\" > $(printf '%q' "$queue_dir/$name").\$job.status"
    echo "exit \"\$rc\""
} > "$script"

output=${log_pattern//%/%%}  # sbatch's file name pattern: %a is the task number, %% a percent sign
[ -z "$job_variable" ] || output=${output//$job_variable/%a}
options=(--wait --parsable --job-name "${job_name:-$name}" --output "$output" --open-mode append
    --array "$first_job-$last_job${max_jobs_run:+%$max_jobs_run}" --cpus-per-task "$num_threads")
[ "$gpu" -eq 0 ] || options+=(--gres "gpu:$gpu")
[ -z "$mem" ] || options+=(--mem "$mem")
[ -z "$time_limit" ] || options+=(--time "$time_limit")
[ "$num_nodes" -eq 1 ] || options+=(--nodes "$num_nodes" --ntasks-per-node 1)

sbatch "${options[@]}" "$script" > "$queue_dir/$name.job_id" &
sbatch_pid=$!
cancel() {
    local id
    id=$(head -n 1 "$queue_dir/$name.job_id" 2> /dev/null | cut -d';' -f1)
    if [ -n "$id" ] && command -v scancel > /dev/null; then scancel "$id"; fi
    echo "$(basename "$0"): interrupted; cancelled slurm job ${id:-(not yet submitted)}" >&2
    exit 130
}
trap cancel INT TERM
wait "$sbatch_pid" || true  # a task's failure is read from its status below, whatever sbatch's exit code says
trap - INT TERM

failed=0
for ((job = first_job; job <= last_job; job++)); do
    status=$(cat "$queue_dir/$name.$job.status" 2> /dev/null || true)
    [ "$status" = 0 ] && continue
    if [ -z "$status" ]; then
        echo "$(basename "$0"): job $job did not finish (cancelled, out of time or memory, or its node failed: slurm \
says why at the end of its log), see $(job_log "$job")" >&2
    else
        echo "$(basename "$0"): job $job failed (exit code $status), see $(job_log "$job")" >&2
    fi
    failed=$((failed + 1))
done
total=$((last_job - first_job + 1))
[ "$failed" -eq 0 ] || { echo "$(basename "$0"): $failed of $total jobs failed" >&2; exit 1; }
