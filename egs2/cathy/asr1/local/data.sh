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

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--test_minutes MIN] [--dev_fraction F] [--url URL]
Writes data/{train,dev,test} of Cathy from \$CATHY/cathy/arctic_*.flac + .txt (CATHY: see db.sh), split by prompt id
(ctc_kd.data.corpora.cathy: about --test_minutes of test audio, --dev_fraction of the recordings in dev)."
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --test_minutes --dev_fraction --url" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

archive=dataset-voice-cathy.zip
convert=()
if [ -e "$CATHY/.$archive.extracted" ]; then
    convert=(--convert_from "$CATHY/dataset-voice-cathy-master/data")  # finishes an interrupted conversion
elif ! compgen -G "$CATHY/cathy/arctic_*.flac" >/dev/null; then
    stop_if_offline "no Cathy corpus in '$CATHY' (expected $CATHY/cathy/arctic_<a|b><nnnn>_<take>.flac + .txt)" \
        "and --download false. Set CATHY in db.sh to the folder holding cathy/, or run with --download true."
    download_into "$CATHY" Cathy "$url" --filename "$archive"
    convert=(--convert_from "$CATHY/dataset-voice-cathy-master/data")
fi

write_sets "$CATHY/cathy" cathy --corpus_dir "$CATHY" --data_dir data \
    --test_minutes "$test_minutes" --dev_fraction "$dev_fraction" "${convert[@]}"
