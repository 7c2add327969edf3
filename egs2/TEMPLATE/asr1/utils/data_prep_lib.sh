# shellcheck shell=bash disable=SC2154
# What the recipes' local/data.sh share: options, logging, checks of what is done; sourced, defines functions only.
# The script sets $usage, $download and $force before calling them (so shellcheck, reading this file alone, is told
# not to ask where they are assigned: SC2154).

# Sets the script's variable of each `--name value` among the allowed names ($1, e.g. "--download --force"; --a-b is
# taken for --a_b, as in the stage script) from the other arguments, then checks --download and --force; --help
# prints $usage.
parse_data_options() {
    local _dpl_allowed=$1 _dpl_name _dpl_given _dpl_ok
    shift
    while [ $# -gt 0 ]; do
        case $1 in --help|-h) echo "$usage"; exit 0 ;; esac
        _dpl_given=$1
        case $1 in --*) _dpl_given=${1#--}; _dpl_given=--${_dpl_given//-/_} ;; esac
        _dpl_ok=false
        for _dpl_name in $_dpl_allowed; do [ "$_dpl_given" = "$_dpl_name" ] && _dpl_ok=true; done
        if [ "$_dpl_ok" = false ]; then
            echo "$0: unknown option '$1'" >&2; echo "$usage" >&2; exit 2
        fi
        [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
        printf -v "${_dpl_given#--}" '%s' "$2"
        shift 2
    done
    for _dpl_name in download force; do
        case ${!_dpl_name} in
            true|false) ;;
            *) echo "$0: --$_dpl_name must be true or false, not '${!_dpl_name}'" >&2; exit 2 ;;
        esac
    done
}

# Prints a timestamped progress line.
log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') (local/data.sh) $*"; }

# True when every set in $sets has data/<set>/.done.
all_done() { local s; for s in $sets; do [ -e "data/$s/.done" ] || return 1; done; }

# Keeps the names of the data/ sets the script writes (the arguments) in $sets for all_done and write_sets, then ends
# the script (exit 0) when --force is false and every one of them is already prepared.
exit_if_prepared() {
    sets="$*"
    if [ "$force" = false ] && all_done; then
        log "data/{${sets// /,}} are already prepared (data/<set>/.done); --force true redoes them"
        exit 0
    fi
}

# True when $1/$3 is usable: extracted from the archive $2 (marker file), or put there by hand (no archive beside it).
have() { [ -e "$1/.$2.extracted" ] || { [ -e "$1/$3" ] && [ ! -e "$1/$2" ] && [ ! -e "$1/$2.part" ]; }; }

# Ends the script (exit 1) with the error made of the arguments when --download is false; the caller downloads next.
stop_if_offline() {
    if [ "$download" = false ]; then
        echo "$0: ERROR: $*" >&2
        exit 1
    fi
}

# Downloads the archive at $3 into the folder $1 and extracts it there; $2 names it in the log, the rest goes to
# ctc_kd.data.download (e.g. --md5 SUM).
download_into() {
    local dest=$1 what=$2 url=$3
    shift 3
    log "downloading $what into $dest"
    python -m ctc_kd.data.download --url "$url" "$@" --dest "$dest" --extract && return 0
    echo "$0: ERROR: no $what corpus in '$dest', and downloading it failed (above): if the corpus is on this machine, \
set $(db_variable "$dest") in db.sh (or the environment) to the folder holding it" >&2
    exit 1
}

# The db.sh variable whose value is the folder $1 (how the recipe was told where its corpus is).
db_variable() {
    local name
    while read -r name; do
        [ "${!name:-}" = "$1" ] && { echo "$name"; return; }
    done < <(sed -n 's/^ *\([A-Z][A-Z0-9_]*\)=.*/\1/p' db.sh | sort -u)
    echo "the corpus variable"
}

# Writes data/<set> of each set in $sets with `python -m ctc_kd.data.corpora.$2` and the other arguments; $1 names
# the corpus folder in the log.
write_sets() {
    local from=$1 corpus=$2
    shift 2
    log "writing data/{${sets// /,}} from $from"
    python -m "ctc_kd.data.corpora.$corpus" "$@"
    log "done: data/{${sets// /,}}"
}
