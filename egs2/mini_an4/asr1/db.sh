# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# mini_an4 (ESPnet's 7-utterance subset of CMU AN4): the folder holding an4/, or, when it has none, where
# local/data.sh extracts downloads.tar.gz (which gives $MINI_AN4/downloads/an4).
MINI_AN4=${MINI_AN4:-downloads}

# The downloads.tar.gz to extract when $MINI_AN4 has no an4/: the copy committed in the repository
# (corpora/mini_an4) when it is there; empty = download it from the ESPnet repository.
if [ -z "${MINI_AN4_ARCHIVE:-}" ] && [ -f ../../../corpora/mini_an4/downloads.tar.gz ]; then
    MINI_AN4_ARCHIVE=../../../corpora/mini_an4/downloads.tar.gz
fi
MINI_AN4_ARCHIVE=${MINI_AN4_ARCHIVE:-}
