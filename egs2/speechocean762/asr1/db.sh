# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# speechocean762 (OpenSLR resource 101): the folder holding speechocean762/{train,test,WAVE,resource} (the
# speechocean762 folder itself is accepted too). Default: downloads/, where local/data.sh fetches and extracts it.
SPEECHOCEAN762=${SPEECHOCEAN762:-downloads}
