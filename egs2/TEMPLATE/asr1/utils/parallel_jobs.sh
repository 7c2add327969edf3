# shellcheck shell=bash
# Independent jobs of a stage (trainings, decodings, alignment analyses, scorings) several at a time: on a CPU each
# process uses one core (path.sh), and a tiny job is mostly interpreter start-up, so two cores do two at once.
# Sourced by asr_kd.sh, which defines die(). A job's own messages go to the run log as it prints them.
# Jobs are tracked by their pids: `wait -n` loses a job that ends before it is called, so it cannot count them.

job_pids=()
jobs_failed=0

# Run "$@" in the background once fewer than $1 jobs are running.
start_job() {
    local limit=$1
    shift
    while [ "${#job_pids[@]}" -ge "$limit" ]; do collect_ended_jobs || sleep 0.1; done
    "$@" < /dev/null &
    job_pids+=("$!")
}

# Take the exit status of every job that has ended (a failed one is counted); false if none had ended.
collect_ended_jobs() {
    local pid running=() collected=1
    for pid in "${job_pids[@]}"; do
        if kill -0 "$pid" 2> /dev/null; then
            running+=("$pid")
        else
            wait "$pid" || jobs_failed=$((jobs_failed + 1))
            collected=0
        fi
    done
    job_pids=(${running[@]+"${running[@]}"})
    return "$collected"
}

# Wait for every job started; stop the run (finished work kept) if any of them failed, after all have ended.
wait_jobs() {
    local pid
    for pid in ${job_pids[@]+"${job_pids[@]}"}; do
        wait "$pid" || jobs_failed=$((jobs_failed + 1))
    done
    job_pids=()
    [ "$jobs_failed" -eq 0 ] || die "$jobs_failed job(s) of this stage failed: see their messages above"
}
