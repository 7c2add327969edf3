#!/usr/bin/env bash
# Data of the mini_an4 recipe: extract (or fetch) ESPnet's mini AN4 unless db.sh's MINI_AN4 holds an4/, then write
# data/{train,dev,test}.
set -euo pipefail

download=true  # fetch downloads.tar.gz when neither $MINI_AN4 nor $MINI_AN4_ARCHIVE provides the corpus
force=false    # redo data/<set> even when data/<set>/.done exists
url=https://raw.githubusercontent.com/espnet/espnet/master/egs/mini_an4/asr1/downloads.tar.gz  # no published md5

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--url URL]
Writes data/{train,dev,test} of mini_an4 from \$MINI_AN4/an4 (or \$MINI_AN4/downloads/an4, extracted from
\$MINI_AN4_ARCHIVE or downloaded from --url); MINI_AN4 and MINI_AN4_ARCHIVE: see db.sh.
Sets: train = 4 of the 5 an4_train utterances, dev = the last one in utterance-id order, test = an4_test (2)."
while [ $# -gt 0 ]; do
    case $1 in
        --help|-h) echo "$usage"; exit 0 ;;
        --download|--force|--url)
            [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
            printf -v "${1#--}" '%s' "$2"; shift 2 ;;
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

corpus=$MINI_AN4
if [ ! -d "$MINI_AN4/an4" ]; then
    corpus=$MINI_AN4/downloads  # the archive's top folder
    if [ -n "$MINI_AN4_ARCHIVE" ]; then
        log "extracting $MINI_AN4_ARCHIVE into $MINI_AN4"
        python -m ctc_kd.data.download --archive "$MINI_AN4_ARCHIVE" --dest "$MINI_AN4"
    elif [ "$download" = false ]; then
        echo "$0: ERROR: no AN4 corpus in '$MINI_AN4' (expected $MINI_AN4/an4/etc and $MINI_AN4/an4/wav), no" \
             "MINI_AN4_ARCHIVE, and --download false. Set MINI_AN4 or MINI_AN4_ARCHIVE in db.sh, or run with" \
             "--download true." >&2
        exit 1
    else
        log "downloading mini_an4 into $MINI_AN4"
        python -m ctc_kd.data.download --url "$url" --dest "$MINI_AN4" --extract
    fi
fi

log "writing data/{${sets// /,}} from $corpus/an4"
python -m ctc_kd.data.corpora.mini_an4 --corpus-dir "$corpus" --data-dir data
log "done: data/{${sets// /,}}"
