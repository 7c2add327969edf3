# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# AISHELL-1 (OpenSLR resource 33): the folder holding data_aishell/ (and resource_aishell/).
AISHELL=${AISHELL:-downloads}
