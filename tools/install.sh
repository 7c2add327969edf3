#!/usr/bin/env bash
# Create (or refresh) the virtual environment tools/venv with ctc_kd installed editable; safe to re-run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
venv="$top/tools/venv"
python=${PYTHON:-python3.11}
stamp="$venv/.ctc_kd_installed"

log() { echo "[install] $*"; }

check_system_tools() {
    # espeak-ng synthesises the Mandarin test speech for the AISHELL layout test; shellcheck checks the shell scripts
    # in `make test`; nothing else needs a system tool.
    local missing=()
    command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing system packages: ${missing[*]}"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        log "WARNING: missing ${missing[*]}; install it (e.g. 'sudo apt-get install ${missing[*]}'): make test needs it"
    fi
}

fingerprint() { cat "$top/setup.py" "$0" | sha256sum | cut -c1-16; }

check_system_tools
if ! command -v "$python" >/dev/null 2>&1; then
    echo "[install] ERROR: $python not found. ctc_kd needs Python 3.11 (set PYTHON=/path/to/python3.11)." >&2
    exit 1
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(fingerprint)" ]; then
    log "tools/venv is up to date (delete $stamp to force a reinstall)"
    exit 0
fi
[ -x "$venv/bin/python" ] || { log "creating $venv"; "$python" -m venv "$venv"; }
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
# PyPI's Linux wheel of torch is the CUDA build (several GB); TORCH_INDEX_URL picks another index for torch and
# torchaudio only, e.g. https://download.pytorch.org/whl/cpu for the CPU build (about 200 MB)
torch_index=()
[ -n "${TORCH_INDEX_URL:-}" ] && torch_index=(--index-url "$TORCH_INDEX_URL")
log "installing torch 2.9.1 + torchaudio 2.9.1${TORCH_INDEX_URL:+ from $TORCH_INDEX_URL} (a few minutes on first run)"
"${pip[@]}" install -q "setuptools<74" wheel
"${pip[@]}" install -q "${torch_index[@]}" torch==2.9.1 torchaudio==2.9.1
log "installing ctc_kd (editable) with espnet and test extras"
"${pip[@]}" install -q -e "${top}[test]"
"$venv/bin/python" -c "import ctc_kd, espnet2, torch, torchaudio; print('[install] ok: torch', torch.__version__)"
fingerprint > "$stamp"
