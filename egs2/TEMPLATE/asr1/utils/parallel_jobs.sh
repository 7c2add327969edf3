# shellcheck shell=bash
# Independent jobs of a stage (trainings, decodings, alignment analyses, scorings) several at a time: on a CPU each
# process uses one core (path.sh), and a tiny job is mostly interpreter start-up, so two cores do two at once.
# Sourced by asr_kd.sh, which defines die(). A job's own messages go to the run log as it prints them.

jobs_running=0
jobs_failed=0

# Run "$@" in the background once fewer than $1 jobs are running.
start_job() {
    local limit=$1
    shift
    while [ "$jobs_running" -ge "$limit" ]; do wait_one_job; done
    "$@" < /dev/null &
    jobs_running=$((jobs_running + 1))
}

# Wait for the next job to end; a failed one is counted, and the others run to their end.
wait_one_job() {
    wait -n || jobs_failed=$((jobs_failed + 1))
    jobs_running=$((jobs_running - 1))
}

# Wait for every job started; stop the run (finished work kept) if any of them failed, after all have ended.
wait_jobs() {
    while [ "$jobs_running" -gt 0 ]; do wait_one_job; done
    [ "$jobs_failed" -eq 0 ] || die "$jobs_failed job(s) of this stage failed: see their messages above"
}
