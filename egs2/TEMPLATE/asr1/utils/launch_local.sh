#!/usr/bin/env bash
# cmd_backend=local: the jobs of one command run on this machine side by side, each appending to its own log.
# Usage: launch_local.sh [--gpu N] [--mem X] [--time T] [--num_threads N] [--num_nodes N] [--name NAME]
#        [--max_jobs_run N] [JOB=1:N] LOG COMMAND...     ("JOB" in LOG and COMMAND becomes each job's number)
# Waits for every job; exits 1 naming the log of each failed one. --max_jobs_run N runs at most N at once; the
# scheduler's options (--gpu, --mem, --time, --num_threads, --num_nodes, --name) do nothing here.
set -euo pipefail
# shellcheck source=launcher_args.sh
. "$(dirname "$(readlink -f "$0")")/launcher_args.sh"
parse_launcher_args "$@"

# Run job $1 with its log: the command, where and when it started, its output, its exit code.
run_job() {
    local job=$1 log rc words=("${command[@]}")
    log=$(job_log "$job")
    [ -z "$job_variable" ] || words=("${words[@]//$job_variable/$job}")
    mkdir -p "$(dirname "$log")"
    {
        echo "# ${words[*]}"
        echo "# started at $(date) on $(hostname) (job $job of $first_job-$last_job)"
    } >> "$log"
    set +e
    "${words[@]}" >> "$log" 2>&1 < /dev/null
    rc=$?
    set -e
    echo "# ended at $(date) with exit code $rc" >> "$log"
    return "$rc"
}

pids=() jobs=() failed=0
collect() {  # wait for the oldest running job
    wait "${pids[0]}" || {
        echo "$(basename "$0"): job ${jobs[0]} failed, see $(job_log "${jobs[0]}")" >&2
        failed=$((failed + 1))
    }
    pids=("${pids[@]:1}") jobs=("${jobs[@]:1}")
}
for ((job = first_job; job <= last_job; job++)); do
    while [ -n "$max_jobs_run" ] && [ "${#pids[@]}" -ge "$max_jobs_run" ]; do collect; done
    run_job "$job" &
    pids+=($!) jobs+=("$job")
done
while [ "${#pids[@]}" -gt 0 ]; do collect; done
total=$((last_job - first_job + 1))
[ "$failed" -eq 0 ] || { echo "$(basename "$0"): $failed of $total jobs failed" >&2; exit 1; }
