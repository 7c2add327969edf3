# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# yesno (OpenSLR resource 1): the folder holding waves_yesno/. Default: the copy committed in the repository
# (corpora/yesno, CC BY 4.0) when it is there, else downloads/ (fetched by local/data.sh).
if [ -z "${YESNO:-}" ]; then
    if [ -d ../../../corpora/yesno/waves_yesno ]; then
        YESNO=../../../corpora/yesno
    else
        YESNO=downloads
    fi
fi
