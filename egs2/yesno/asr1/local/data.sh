#!/usr/bin/env bash
# Data of the yesno recipe: fetch waves_yesno unless db.sh's YESNO holds it, then write data/{train,dev,test}.
set -euo pipefail

download=true                             # fetch the corpus when $YESNO does not hold it
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL]
Writes data/{train,dev,test} of yesno (OpenSLR resource 1) from \$YESNO/waves_yesno (YESNO: see db.sh).
Split (ctc_kd.data.corpora.yesno): of the 60 name-sorted recordings, 12 test, 6 dev, 42 train."
while [ $# -gt 0 ]; do
    case $1 in
        --help|-h) echo "$usage"; exit 0 ;;
        --download|--force|--mirror)
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

# True when $1/$3 is usable: extracted from the archive $2 (marker file), or put there by hand (no archive beside it).
have() { [ -e "$1/.$2.extracted" ] || { [ -e "$1/$3" ] && [ ! -e "$1/$2" ] && [ ! -e "$1/$2.part" ]; }; }
if ! have "$YESNO" waves_yesno.tar.gz waves_yesno; then
    if [ "$download" = false ]; then
        echo "$0: ERROR: no yesno corpus in '$YESNO' (expected $YESNO/waves_yesno/*.wav) and --download false." \
             "Set YESNO in db.sh to the folder holding waves_yesno/, or run with --download true." >&2
        exit 1
    fi
    log "downloading yesno into $YESNO"
    python -m ctc_kd.data.download --url "$mirror/1/waves_yesno.tar.gz" --dest "$YESNO" --extract
fi

log "writing data/{${sets// /,}} from $YESNO/waves_yesno"
python -m ctc_kd.data.corpora.yesno --corpus-dir "$YESNO" --data-dir data
log "done: data/{${sets// /,}}"
