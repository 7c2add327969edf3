#!/usr/bin/env bash
# Data of the tedlium2 recipe: fetch TED-LIUM 2 unless db.sh's TEDLIUM2 holds it, then write data/{train,dev,test}
# with segments.
set -euo pipefail

download=true                             # fetch the corpus when $TEDLIUM2 does not hold it
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL]
Writes data/{train,dev,test} of TED-LIUM 2 (OpenSLR resource 19) from \$TEDLIUM2/TEDLIUM_release2 (TEDLIUM2: see
db.sh): one recording per talk (wav.scp -> .sph), one utterance per stm segment (segments)."
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
if ! have "$TEDLIUM2" TEDLIUM_release2.tar.gz TEDLIUM_release2; then
    if [ "$download" = false ]; then
        echo "$0: ERROR: no TED-LIUM 2 in '$TEDLIUM2' (expected $TEDLIUM2/TEDLIUM_release2/{train,dev,test}/{sph,stm})" \
             "and --download false. Set TEDLIUM2 in db.sh to the folder holding TEDLIUM_release2/, or run with" \
             "--download true." >&2
        exit 1
    fi
    # No md5 pinned (none we could confirm): the archive is checked by its Content-Length and by extracting fully.
    log "downloading TEDLIUM_release2.tar.gz into $TEDLIUM2"
    python -m ctc_kd.data.download --url "$mirror/19/TEDLIUM_release2.tar.gz" --dest "$TEDLIUM2" --extract
fi

log "writing data/{${sets// /,}} from $TEDLIUM2/TEDLIUM_release2"
python -m ctc_kd.data.corpora.tedlium2 --corpus-dir "$TEDLIUM2" --data-dir data
log "done: data/{${sets// /,}}"
