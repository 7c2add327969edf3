# Sourced by asr_kd.sh: the toolkit's Python first on PATH, quiet and reproducible defaults.
MAIN_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../.." && pwd)
if [ ! -x "$MAIN_ROOT/tools/venv/bin/python" ]; then
    echo "ERROR: $MAIN_ROOT/tools/venv is missing: run 'make install' in $MAIN_ROOT first" >&2
    return 1 2>/dev/null || exit 1
fi
export PATH=$MAIN_ROOT/tools/venv/bin:$MAIN_ROOT/egs2/TEMPLATE/asr1/utils:$PATH
export PYTHONIOENCODING=UTF-8
export PYTHONDONTWRITEBYTECODE=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # one thread per job; training uses torch's own threads
