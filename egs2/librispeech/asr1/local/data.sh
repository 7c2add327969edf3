#!/usr/bin/env bash
# Data of the LibriSpeech recipes: fetch the parts db.sh's LIBRISPEECH lacks, write one data dir per part, and
# combine the training parts and the dev parts. librispeech_100 calls this script with its own --parts.
set -euo pipefail

download=true                             # fetch the parts that $LIBRISPEECH does not hold
force=false                               # redo data/<set> even when data/<set>/.done exists
mirror=https://www.openslr.org/resources  # OpenSLR mirror, e.g. https://openslr.elda.org/resources
parts="train-clean-100 train-clean-360 train-other-500 dev-clean dev-other test-clean test-other"
train_set=train_960  # the selected train-* parts combined (a single part of the same name is used as is)
dev_set=dev          # the selected dev-* parts combined

usage="Usage: local/data.sh [--download true|false] [--force true|false] [--mirror URL] [--parts \"PART ...\"]
                     [--train_set NAME] [--dev_set NAME]
Writes data/<part> for each part (dev-clean -> data/dev_clean) of LibriSpeech (OpenSLR resource 12) from
\$LIBRISPEECH/LibriSpeech (LIBRISPEECH: see db.sh), then data/\$train_set = the train-* parts and
data/\$dev_set = the dev-* parts combined. Defaults: --parts \"$parts\"
--train_set $train_set --dev_set $dev_set."
# shellcheck source=../utils/data_prep_lib.sh
. "$(dirname "$0")/../utils/data_prep_lib.sh"
parse_data_options "--download --force --mirror --parts --train_set --dev_set" "$@"
# shellcheck source=../db.sh
. ./db.sh

# md5 of each part's archive as published by OpenSLR (resources/12/md5sum.txt).
md5_of() {
    case $1 in
        train-clean-100) echo 2a93770f6d5c6c964bc36631d331a522 ;;
        train-clean-360) echo c0e676e450a7ff2f54aeade5171606fa ;;
        train-other-500) echo d1a0fd59409feb2c614ce4d30c387708 ;;
        dev-clean) echo 42e2234ba48799c1f50f24a7926300a1 ;;
        dev-other) echo c8d0bcc9cca99d4f8b62fcc847357931 ;;
        test-clean) echo 32fa31d27d2e1cad72775fee3f4849a9 ;;
        test-other) echo fb5a50374b501bb3bac4815ee91d3135 ;;
        *) echo "$0: unknown LibriSpeech part '$1'" >&2; return 1 ;;
    esac
}

todo=()         # parts whose data dir must be (re)written
train_parts=()  # data dirs combined into $train_set
dev_parts=()    # data dirs combined into $dev_set
for part in $parts; do
    md5_of "$part" >/dev/null || exit 2
    set=${part//-/_}
    case $part in train-*) train_parts+=("data/$set") ;; dev-*) dev_parts+=("data/$set") ;; esac
    if [ "$force" = false ] && [ -e "data/$set/.done" ]; then
        log "data/$set is already prepared (data/$set/.done); --force true redoes it"
    else
        todo+=("$part")
    fi
done

for part in "${todo[@]}"; do
    have "$LIBRISPEECH" "$part.tar.gz" "LibriSpeech/$part" && continue
    stop_if_offline "no LibriSpeech part $part in '$LIBRISPEECH' (expected $LIBRISPEECH/LibriSpeech/$part) and" \
        "--download false. Set LIBRISPEECH in db.sh to the folder holding LibriSpeech/, or run with" \
        "--download true."
    download_into "$LIBRISPEECH" "$part.tar.gz" "$mirror/12/$part.tar.gz" --md5 "$(md5_of "$part")"
done

if [ ${#todo[@]} -gt 0 ]; then
    log "writing data/ dirs of ${todo[*]} from $LIBRISPEECH/LibriSpeech"
    python -m ctc_kd.data.corpora.librispeech --corpus_dir "$LIBRISPEECH" --data_dir data --parts "${todo[@]}"
fi

redone=" ${todo[*]:-} "
# $1 = the combined dir, then its parts; redone when it is not done or one of its parts was redone in this run.
combine() {
    local out=$1 dir stale=false; shift
    [ $# -gt 0 ] || return 0
    if [ $# -eq 1 ] && [ "$1" = "$out" ]; then return 0; fi
    for dir in "$@"; do
        case $redone in *" $(basename "$dir" | tr _ -) "*) stale=true ;; esac
    done
    if [ -e "$out/.done" ] && [ "$stale" = false ]; then
        log "$out is already combined ($out/.done)"
        return 0
    fi
    rm -f "$out/.done"
    log "combining $* into $out"
    python -m ctc_kd.data.combine "$out" "$@"
    touch "$out/.done"
}
combine "data/$train_set" "${train_parts[@]}"
combine "data/$dev_set" "${dev_parts[@]}"
log "done"
