# Corpus locations of this recipe, sourced by local/data.sh; set the variable in the environment to override.
# ESPnet convention: the folder that holds the extracted corpus, or the folder local/data.sh downloads it into.

# Cathy (CMU ARCTIC prompts read by one speaker, CC0): the folder holding cathy/arctic_*.flac + .txt (16 kHz mono).
# Default: the offline copy beside the checkout (../shared/data/cathy, used by tests and CI) when it exists, else
# downloads/, where local/data.sh fetches github.com/rhasspy/dataset-voice-cathy and converts it to that layout.
if [ -z "${CATHY:-}" ]; then
    if [ -d ../../../../shared/data/cathy ]; then
        CATHY=../../../../shared/data
    else
        CATHY=downloads
    fi
fi
