# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# LibriSpeech (OpenSLR resource 12): the folder holding LibriSpeech/<part>/ (dev-clean, train-clean-100, ...).
LIBRISPEECH=${LIBRISPEECH:-downloads}
