#!/bin/sh
# tests/classifiers_check.sh — runs `askfirst classify --check` over the
# labeled corpus (../shared/corpus/*.jsonl) and the project's own labeled
# requests (tests/classifiers/*.jsonl) with an already built askfirst.
# Builds nothing. CI calls it after `ninja -C BUILD_DIR`.
#
#   tests/classifiers_check.sh BUILD_DIR [CORPUS_DIR] [-- EXTRA CLASSIFY ARGS]
#
# Exit status: that of `askfirst classify --check` (non-zero when a record
# expected write/destructive is judged read, or tier agreement is under
# --min-agreement), or 2 when the build or the corpus is missing.
set -eu

usage() {
    echo "usage: $0 BUILD_DIR [CORPUS_DIR] [-- EXTRA ASKFIRST CLASSIFY ARGS]" >&2
    exit 2
}

[ $# -ge 1 ] || usage
build_dir=$1
shift
source_root=$(cd "$(dirname "$0")/.." && pwd)
corpus_dir=$source_root/../shared/corpus
if [ $# -ge 1 ] && [ "$1" != "--" ]; then
    corpus_dir=$1
    shift
fi
[ $# -ge 1 ] && [ "$1" = "--" ] && shift

askfirst=$build_dir/askfirst
if [ ! -x "$askfirst" ]; then
    echo "$0: no askfirst binary at $askfirst; build first: ninja -C $build_dir" >&2
    exit 2
fi
set -- "$@"
found=no
for corpus in "$corpus_dir"/*.jsonl; do
    [ -e "$corpus" ] && found=yes
    break
done
if [ "$found" = no ]; then
    echo "$0: no *.jsonl files in $corpus_dir; pass the corpus directory as the second argument" >&2
    exit 2
fi
# The project's own labeled requests (tests/classifiers/*.jsonl: providers the
# shared corpus does not cover yet, e.g. llm, packages) are checked with it.
set -- "$@" "$corpus_dir"/*.jsonl
for own in "$source_root"/tests/classifiers/*.jsonl; do
    [ -e "$own" ] && set -- "$@" "$own"
done
exec "$askfirst" classify --check "$@"
