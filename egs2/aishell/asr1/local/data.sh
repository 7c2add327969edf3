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
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --mirror" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

if ! have "$AISHELL" data_aishell.tgz data_aishell; then
    stop_if_offline "no AISHELL-1 in '$AISHELL' (expected $AISHELL/data_aishell/{wav,transcript}) and --download" \
        "false. Set AISHELL in db.sh to the folder holding data_aishell/, or run with --download true."
    # Both archives of OpenSLR resource 33 with their published md5; resource_aishell (lexicon, speaker info) is
    # fetched along for completeness, data/ does not need it.
    for entry in data_aishell:2f494334227864a8a8fec932999db9d8 resource_aishell:957d480a0fcac85fc18e550756f624e5; do
        name=${entry%%:*} md5=${entry#*:}
        have "$AISHELL" "$name.tgz" "$name" && continue
        download_into "$AISHELL" "$name.tgz" "$mirror/33/$name.tgz" --md5 "$md5"
    done
fi

wav=$AISHELL/data_aishell/wav
if compgen -G "$wav/*.tar.gz" >/dev/null; then
    log "extracting the per-speaker archives in $wav"
    python -m ctc_kd.data.download --archive "$wav"/*.tar.gz --dest "$wav" --remove_archive
fi

write_sets "$AISHELL/data_aishell" aishell --corpus_dir "$AISHELL" --data_dir data
