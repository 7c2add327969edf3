#!/usr/bin/env bash
# Data of the aishell recipe: fetch AISHELL-1 unless db.sh's AISHELL holds it, unpack its per-speaker archives once,
# then write data/{train,dev,test}.
set -euo pipefail

download=true                             # fetch the corpus when $AISHELL does not hold it
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL]
Writes data/{train,dev,test} of AISHELL-1 (OpenSLR resource 33) from \$AISHELL/data_aishell (AISHELL: see db.sh).
The per-speaker archives data_aishell/wav/<speaker>.tar.gz are extracted once and then deleted (a marker
data_aishell/wav/.<speaker>.tar.gz.extracted remains); data_aishell.tgz itself is kept."
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
if ! have "$AISHELL" data_aishell.tgz data_aishell; then
    if [ "$download" = false ]; then
        echo "$0: ERROR: no AISHELL-1 in '$AISHELL' (expected $AISHELL/data_aishell/{wav,transcript}) and --download" \
             "false. Set AISHELL in db.sh to the folder holding data_aishell/, or run with --download true." >&2
        exit 1
    fi
    # Both archives of OpenSLR resource 33 with their published md5; resource_aishell (lexicon, speaker info) is
    # fetched along for completeness, data/ does not need it.
    for entry in data_aishell:2f494334227864a8a8fec932999db9d8 resource_aishell:957d480a0fcac85fc18e550756f624e5; do
        name=${entry%%:*} md5=${entry#*:}
        have "$AISHELL" "$name.tgz" "$name" && continue
        log "downloading $name.tgz into $AISHELL"
        python -m ctc_kd.data.download --url "$mirror/33/$name.tgz" --md5 "$md5" --dest "$AISHELL" --extract
    done
fi

wav=$AISHELL/data_aishell/wav
if compgen -G "$wav/*.tar.gz" >/dev/null; then
    log "extracting the per-speaker archives in $wav"
    python -m ctc_kd.data.download --archive "$wav"/*.tar.gz --dest "$wav" --remove-archive
fi

log "writing data/{${sets// /,}} from $AISHELL/data_aishell"
python -m ctc_kd.data.corpora.aishell --corpus-dir "$AISHELL" --data-dir data
log "done: data/{${sets// /,}}"
