#!/usr/bin/env bash
# Run a command on this machine with its output in a log file: the local stand-in for a cluster job launcher.
# Usage: run_local.sh [--gpu N] [--mem X] [--num_threads N] [JOB=1:N] LOGFILE COMMAND...
# With JOB=a:b the command runs once per job in parallel; "JOB" in LOGFILE and COMMAND is replaced by the number.
set -euo pipefail
while [[ $# -gt 0 && $1 == --* ]]; do
    [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
    shift 2  # --gpu/--mem/--num_threads: a single machine has what it has
done
first=1 last=1 variable=""
if [[ $# -gt 0 && $1 =~ ^([A-Za-z_]+)=([0-9]+):([0-9]+)$ ]]; then
    variable=${BASH_REMATCH[1]} first=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
    shift
fi
[ $# -ge 2 ] || { echo "usage: $0 [--gpu N] [JOB=1:N] LOGFILE COMMAND..." >&2; exit 2; }
log_pattern=$1; shift
pids=() logs=()
for ((job = first; job <= last; job++)); do
    log=$log_pattern command=("$@")
    if [ -n "$variable" ]; then
        log=${log//$variable/$job}
        command=("${command[@]//$variable/$job}")
    fi
    mkdir -p "$(dirname "$log")"
    { echo "# ${command[*]}"; echo "# started at $(date)"; } > "$log"
    ( set +e; "${command[@]}" >> "$log" 2>&1; rc=$?; echo "# ended at $(date) with exit code $rc" >> "$log"; exit $rc ) &
    pids+=($!) logs+=("$log")
done
failed=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "$0: job failed, see ${logs[$i]}" >&2; failed=$((failed + 1)); }
done
[ "$failed" -eq 0 ] || { echo "$0: $failed of ${#pids[@]} jobs failed" >&2; exit 1; }
