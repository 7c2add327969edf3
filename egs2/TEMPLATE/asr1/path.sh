# Sourced by asr_kd.sh: the toolkit's Python first on PATH, quiet and reproducible defaults.
MAIN_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../.." && pwd)
if [ ! -x "$MAIN_ROOT/tools/venv/bin/python" ]; then
    echo "ERROR: $MAIN_ROOT/tools/venv is missing: run 'make install' in $MAIN_ROOT first" >&2
    # shellcheck disable=SC2317  # exit is reached when path.sh is run instead of sourced
    return 1 2>/dev/null || exit 1
fi
export PATH=$MAIN_ROOT/tools/venv/bin:$MAIN_ROOT/egs2/TEMPLATE/asr1/utils:$PATH
export PYTHONIOENCODING=UTF-8
export PYTHONDONTWRITEBYTECODE=1
# One CPU thread per process, torch included: on a CPU every training and decoding uses one core, so parallel jobs
# (or two trainings side by side) do not fight; export OMP_NUM_THREADS=N before run.sh for one job on N cores.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
