#!/usr/bin/env bash
# Data of the cathy recipe: fetch and convert Cathy unless db.sh's CATHY holds cathy/*.flac, then write
# data/{train,dev,test} split by prompt.
set -euo pipefail

download=true  # fetch the corpus when $CATHY does not hold it
force=false    # redo data/<set> even when data/<set>/.done exists
test_minutes=10     # audio in the test set
dev_fraction=0.05   # share of the recordings in dev
# The GitHub repository as a zip (48 kHz stereo WAV in data/); a branch archive has no fixed checksum, so the
# download is checked by the zip opening fully.
url=https://github.com/rhasspy/dataset-voice-cathy/archive/refs/heads/master.zip

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--test-minutes MIN] [--dev-fraction F] [--url URL]
Writes data/{train,dev,test} of Cathy from \$CATHY/cathy/arctic_*.flac + .txt (CATHY: see db.sh), split by prompt id
(ctc_kd.data.corpora.cathy: about --test-minutes of test audio, --dev-fraction of the recordings in dev)."
while [ $# -gt 0 ]; do
    case $1 in
        --help|-h) echo "$usage"; exit 0 ;;
        --download|--force|--test-minutes|--dev-fraction|--url)
            [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
            name=${1#--}; printf -v "${name//-/_}" '%s' "$2"; shift 2 ;;
        *) echo "$0: unknown option '$1'" >&2; echo "$usage" >&2; exit 2 ;;
    esac
done
for flag in download force; do
    case ${!flag} in true|false) ;; *) echo "$0: --$flag must be true or false, not '${!flag}'" >&2; exit 2 ;; esac
done
. ./db.sh
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (local/data.sh) $*"; }
sets="train dev test"

all_done() { for s in $sets; do [ -e "data/$s/.done" ] || return 1; done; }
if [ "$force" = false ] && all_done; then
    log "data/{${sets// /,}} are already prepared (data/<set>/.done); --force true redoes them"
    exit 0
fi

archive=dataset-voice-cathy.zip
convert=()
if [ -e "$CATHY/.$archive.extracted" ]; then
    convert=(--convert-from "$CATHY/dataset-voice-cathy-master/data")  # finishes an interrupted conversion
elif ! compgen -G "$CATHY/cathy/arctic_*.flac" >/dev/null; then
    if [ "$download" = false ]; then
        echo "$0: ERROR: no Cathy corpus in '$CATHY' (expected $CATHY/cathy/arctic_<a|b><nnnn>_<take>.flac + .txt)" \
             "and --download false. Set CATHY in db.sh to the folder holding cathy/, or run with --download true." >&2
        exit 1
    fi
    log "downloading Cathy into $CATHY"
    python -m ctc_kd.data.download --url "$url" --dest "$CATHY" --filename "$archive" --extract
    convert=(--convert-from "$CATHY/dataset-voice-cathy-master/data")
fi

log "writing data/{${sets// /,}} from $CATHY/cathy"
python -m ctc_kd.data.corpora.cathy --corpus-dir "$CATHY" --data-dir data \
    --test-minutes "$test_minutes" --dev-fraction "$dev_fraction" "${convert[@]}"
log "done: data/{${sets// /,}}"
