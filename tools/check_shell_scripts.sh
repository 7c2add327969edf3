#!/usr/bin/env bash
# Runs shellcheck over every shell script git tracks (*.sh and files starting with a bash/sh shebang; links are the files
# they point to, checked once); settings in .shellcheckrc. Part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
    echo "ERROR: shellcheck is not installed: run 'make install' as root, or 'sudo apt-get install shellcheck'" >&2
    exit 1
fi
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "ERROR: $(pwd) is not a git checkout: the shell scripts to check are the files git tracks" >&2
    exit 1
fi
scripts=()
while IFS= read -r -d '' file; do
    [ -L "$file" ] && continue
    case $file in
        *.sh) scripts+=("$file") ;;
        *) head -n 1 "$file" 2>/dev/null | grep -qE '^#!.*[/ ](ba)?sh$' && scripts+=("$file") ;;
    esac
done < <(git ls-files -z)
echo "shellcheck: ${#scripts[@]} scripts"
shellcheck "${scripts[@]}"
