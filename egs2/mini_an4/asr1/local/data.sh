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
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --url" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

corpus=$MINI_AN4
if [ ! -d "$MINI_AN4/an4" ]; then
    corpus=$MINI_AN4/downloads  # the archive's top folder
    if [ -n "$MINI_AN4_ARCHIVE" ]; then
        log "extracting $MINI_AN4_ARCHIVE into $MINI_AN4"
        python -m ctc_kd.data.download --archive "$MINI_AN4_ARCHIVE" --dest "$MINI_AN4"
    else
        stop_if_offline "no AN4 corpus in '$MINI_AN4' (expected $MINI_AN4/an4/etc and $MINI_AN4/an4/wav), no" \
            "MINI_AN4_ARCHIVE, and --download false. Set MINI_AN4 or MINI_AN4_ARCHIVE in db.sh, or run with" \
            "--download true."
        download_into "$MINI_AN4" mini_an4 "$url"
    fi
fi

write_sets "$corpus/an4" mini_an4 --corpus_dir "$corpus" --data_dir data
