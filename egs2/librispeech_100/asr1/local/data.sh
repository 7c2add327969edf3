#!/usr/bin/env bash
# Data of the librispeech_100 recipe: the LibriSpeech preparation with train-clean-100 as the only training part.
exec "$(dirname "$0")/../../../librispeech/asr1/local/data.sh" --train_set train_clean_100 \
    --parts "train-clean-100 dev-clean dev-other test-clean test-other" "$@"
