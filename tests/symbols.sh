#!/bin/sh
# The libraries export the public API and nothing else: every global symbol
# that librecur.so and librecur.a define is a function declared in
# include/recur.h, and every function declared there is defined by both.
#   sh tests/symbols.sh build/librecur.so build/librecur.a
set -eu
api=$(mktemp)
trap 'rm -f "$api" "$api.lib"' EXIT
# declarations: "RECUR_API <type> recur_name(", over one line or more
tr '\n' ' ' <include/recur.h | grep -o 'RECUR_API [^;(]*recur_[a-z0-9_]* *(' |
    sed 's/.*[ *]\(recur_[a-z0-9_]*\)[ ]*($/\1/' | sort -u >"$api"
[ -s "$api" ] || { echo "symbols: no RECUR_API declarations in include/recur.h" >&2; exit 1; }
bad=0
for lib in "$@"; do
    case $lib in
    *.so*) nm -D --defined-only "$lib" ;;
    *) nm -g --defined-only "$lib" ;;
    esac | awk 'NF >= 3 { print $3 }' | sort -u >"$api.lib"
    extra=$(comm -13 "$api" "$api.lib")
    missing=$(comm -23 "$api" "$api.lib")
    if [ -n "$extra" ]; then
        echo "symbols: $lib exports what recur.h does not declare:" $extra >&2
        bad=1
    fi
    if [ -n "$missing" ]; then
        echo "symbols: $lib lacks what recur.h declares:" $missing >&2
        bad=1
    fi
    echo "symbols: $lib: $(wc -l <"$api.lib") global symbols, $(wc -l <"$api") public functions"
done
exit $bad
