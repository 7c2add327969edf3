#!/usr/bin/env bash
# Data of the speechocean762 recipe: fetch the corpus unless db.sh's SPEECHOCEAN762 holds it, then write
# data/{train,dev,test}: the official test half, the train-half speakers of local/dev_speakers, the other ones.
set -euo pipefail

download=true                             # fetch the corpus when $SPEECHOCEAN762 does not hold it
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources
dev_speakers=local/dev_speakers           # train-half speakers held out as dev ("" : the rule picks 10)

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL] [--dev_speakers FILE]
Writes data/{train,dev,test} of speechocean762 (OpenSLR resource 101) from \$SPEECHOCEAN762/speechocean762
(SPEECHOCEAN762: see db.sh; the speechocean762 folder itself is accepted too): test = the official test half,
dev = the train-half speakers listed in --dev_speakers (default $dev_speakers), train = the other train speakers."
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --mirror --dev_speakers" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

archive=speechocean762.tar.gz
if [ ! -e "$SPEECHOCEAN762/train/wav.scp" ] && ! have "$SPEECHOCEAN762" "$archive" speechocean762/train/wav.scp; then
    stop_if_offline "no speechocean762 in '$SPEECHOCEAN762' (expected $SPEECHOCEAN762/speechocean762/{train,test}" \
        "/wav.scp and WAVE/) and --download false. Set SPEECHOCEAN762 in db.sh to the folder holding" \
        "speechocean762/, or run with --download true."
    # OpenSLR publishes no checksum for resource 101: the download is resumed until complete and checked by the
    # archive extracting in full (gzip's CRC); data preparation then checks every file the corpus lists.
    download_into "$SPEECHOCEAN762" "$archive" "$mirror/101/$archive"
fi

write_sets "$SPEECHOCEAN762" speechocean762 --corpus_dir "$SPEECHOCEAN762" --data_dir data \
    ${dev_speakers:+--dev_speakers "$dev_speakers"}
