# shellcheck shell=bash disable=SC2034  # the variables set here are read by the launcher that sources this file
# The calling convention of both launchers, as Kaldi's run.pl/slurm.pl and so ESPnet's recipes and espnet2.bin.launch
# use it: [--gpu N] [--mem X] [--time T] [--num_threads N] [--num_nodes N] [--name NAME] [--max_jobs_run N]
# [JOB=1:N] LOG COMMAND... ; with JOB=a:b the command runs once per job, "JOB" in LOG and COMMAND replaced by its
# number. Sourced by launch_local.sh and launch_slurm.sh: parse_launcher_args sets the variables below.

gpu=0 mem="" time_limit="" num_threads=1 num_nodes=1 job_name="" max_jobs_run=""
job_variable="" first_job=1 last_job=1 log_pattern="" command=()

launcher_error() {
    echo "$(basename "$0"): $*" >&2
    echo "usage: $(basename "$0") [--gpu N] [--mem X] [--time T] [--num_threads N] [--num_nodes N] [--name NAME] \
[--max_jobs_run N] [JOB=1:N] LOG COMMAND..." >&2
    exit 2
}

parse_launcher_args() {
    local option
    while [[ $# -gt 0 && $1 == --* ]]; do
        option=${1#--}
        option=${option//-/_}  # Kaldi's spelling (--num-threads) as well as ESPnet's (--num_threads)
        [ $# -ge 2 ] || launcher_error "$1 needs a value"
        case $option in
            gpu) gpu=$2 ;;
            mem) mem=$2 ;;
            time) time_limit=$2 ;;
            num_threads) num_threads=$2 ;;
            num_nodes) num_nodes=$2 ;;
            name) job_name=$2 ;;
            max_jobs_run) max_jobs_run=$2 ;;
            *) launcher_error "unknown option $1 (a scheduler's other settings, e.g. the partition, go into sbatch's \
SBATCH_* variables in cmd.sh)" ;;
        esac
        shift 2
    done
    for option in gpu num_threads num_nodes ${max_jobs_run:+max_jobs_run}; do
        [[ ${!option} =~ ^[0-9]+$ ]] || launcher_error "--$option must be a whole number, not '${!option}'"
    done
    if [ "${max_jobs_run:-1}" -lt 1 ] || [ "$num_nodes" -lt 1 ]; then
        launcher_error "--max_jobs_run and --num_nodes must be 1 or more"
    fi
    if [[ $# -gt 0 && $1 =~ ^([A-Za-z_][A-Za-z_0-9]*)=([0-9]+):([0-9]+)$ ]]; then
        job_variable=${BASH_REMATCH[1]} first_job=${BASH_REMATCH[2]} last_job=${BASH_REMATCH[3]}
        shift
        [ "$first_job" -le "$last_job" ] || launcher_error "$job_variable=$first_job:$last_job: no job in that range"
    fi
    [ $# -ge 2 ] || launcher_error "a log file and a command are needed"
    log_pattern=$1
    shift
    command=("$@")
    if [ "$last_job" -gt "$first_job" ] && [[ $log_pattern != *"$job_variable"* ]]; then
        launcher_error "the log name $log_pattern must contain $job_variable, so that each job writes its own log"
    fi
}

# The log file of job $1 (its number in place of the variable).
job_log() {
    if [ -n "$job_variable" ]; then echo "${log_pattern//$job_variable/$1}"; else echo "$log_pattern"; fi
}
