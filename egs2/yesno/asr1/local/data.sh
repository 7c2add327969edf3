#!/usr/bin/env bash
# Data of the yesno recipe: fetch waves_yesno unless db.sh's YESNO holds it, then write data/{train,dev,test}.
set -euo pipefail

download=true                             # fetch the corpus when $YESNO does not hold it
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL]
Writes data/{train,dev,test} of yesno (OpenSLR resource 1) from \$YESNO/waves_yesno (YESNO: see db.sh).
Split (ctc_kd.data.corpora.yesno): of the 60 name-sorted recordings, 12 test, 6 dev, 42 train."
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --mirror" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

if ! have "$YESNO" waves_yesno.tar.gz waves_yesno; then
    stop_if_offline "no yesno corpus in '$YESNO' (expected $YESNO/waves_yesno/*.wav) and --download false." \
        "Set YESNO in db.sh to the folder holding waves_yesno/, or run with --download true."
    download_into "$YESNO" yesno "$mirror/1/waves_yesno.tar.gz"
fi

write_sets "$YESNO/waves_yesno" yesno --corpus_dir "$YESNO" --data_dir data
