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
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --mirror" "$@"
# shellcheck source=../db.sh
. ./db.sh
exit_if_prepared train dev test

if ! have "$TEDLIUM2" TEDLIUM_release2.tar.gz TEDLIUM_release2; then
    stop_if_offline "no TED-LIUM 2 in '$TEDLIUM2' (expected $TEDLIUM2/TEDLIUM_release2/{train,dev,test}/{sph,stm})" \
        "and --download false. Set TEDLIUM2 in db.sh to the folder holding TEDLIUM_release2/, or run with" \
        "--download true."
    # No md5 pinned (none we could confirm): the archive is checked by its Content-Length and by extracting fully.
    download_into "$TEDLIUM2" TEDLIUM_release2.tar.gz "$mirror/19/TEDLIUM_release2.tar.gz"
fi

write_sets "$TEDLIUM2/TEDLIUM_release2" tedlium2 --corpus_dir "$TEDLIUM2" --data_dir data
