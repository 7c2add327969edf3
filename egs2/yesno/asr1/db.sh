# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# yesno (OpenSLR resource 1): the folder holding waves_yesno/. Default: the offline copy beside the checkout
# (../shared/data/yesno, used by tests and CI) when it exists, else downloads/ (fetched by local/data.sh).
if [ -z "${YESNO:-}" ]; then
    if [ -d ../../../../shared/data/yesno/waves_yesno ]; then
        YESNO=../../../../shared/data/yesno
    else
        YESNO=downloads
    fi
fi
