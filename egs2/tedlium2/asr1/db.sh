# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# TED-LIUM release 2 (OpenSLR resource 19): the folder holding TEDLIUM_release2/.
TEDLIUM2=${TEDLIUM2:-downloads}
