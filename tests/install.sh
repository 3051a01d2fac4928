#!/bin/sh
# make install into a temporary prefix, then examples/example.c and
# examples/embed.c built with nothing but `pkg-config --cflags --libs recur`
# (shared) and `--static`, and run (embed on a tiny model the installed
# recur trains); then make uninstall leaves no file behind.
#   sh tests/install.sh          (from the repository root, after make)
set -eu
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make --no-print-directory -s install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
fail() { echo "install: $*" >&2; exit 1; }
for f in bin/recur lib/librecur.a lib/librecur.so include/recur.h \
         lib/pkgconfig/recur.pc share/man/man1/recur.1; do
    [ -e "$prefix/$f" ] || fail "make install did not write $f"
done
soname=$(objdump -p "$prefix/lib/librecur.so" | awk '$1 == "SONAME" { print $2 }')
[ -e "$prefix/lib/$soname" ] || fail "soname $soname has no file"
"$prefix/bin/recur" --version >/dev/null || fail "installed recur does not run"
# the manual page has a section for every command --help lists
for cmd in $("$prefix/bin/recur" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'); do
    grep -q "^\.SS \"recur $cmd\"" "$prefix/share/man/man1/recur.1" ||
        fail "recur.1 has no section for recur $cmd"
done

cc=${CC:-cc}
out=$prefix/out
mkdir "$out"
# shellcheck disable=SC2046
$cc -o "$out/example-shared" examples/example.c $(pkg-config --cflags --libs recur) 2>"$out/cc.log" ||
    fail "example.c does not build with pkg-config --cflags --libs recur: $(cat "$out/cc.log")"
# shellcheck disable=SC2046
# (static glibc and libgomp warn about dlopen; the log is shown on failure)
$cc -static -o "$out/example-static" examples/example.c $(pkg-config --static --cflags --libs recur) 2>"$out/cc.log" ||
    fail "example.c does not build with -static and pkg-config --static --cflags --libs recur: $(cat "$out/cc.log")"
LD_LIBRARY_PATH=$prefix/lib ldd "$out/example-shared" | grep -q "$prefix/lib/$soname" ||
    fail "example-shared does not load $prefix/lib/$soname"
LD_LIBRARY_PATH=$prefix/lib "$out/example-shared" >"$out/shared.txt" || fail "example-shared failed"
"$out/example-static" >"$out/static.txt" || fail "example-static failed"
cmp -s "$out/shared.txt" "$out/static.txt" || fail "the shared and static examples print different things"
[ -s "$out/shared.txt" ] || fail "the example printed nothing"

# embed.c the same way, on a character model trained by the installed recur:
# both builds print the same, and its text is recur sample's.
# shellcheck disable=SC2046
$cc -o "$out/embed-shared" examples/embed.c $(pkg-config --cflags --libs recur) 2>"$out/cc.log" ||
    fail "embed.c does not build with pkg-config --cflags --libs recur: $(cat "$out/cc.log")"
# shellcheck disable=SC2046
$cc -static -o "$out/embed-static" examples/embed.c $(pkg-config --static --cflags --libs recur) 2>"$out/cc.log" ||
    fail "embed.c does not build with -static and pkg-config --static: $(cat "$out/cc.log")"
i=0
while [ $i -lt 40 ]; do echo "the cat sat on the mat $i"; i=$((i + 1)); done >"$out/text.txt"
"$prefix/bin/recur" train --task charlm --data "$out/text.txt" --hidden 8 --embed 4 \
    --batch 2 --seq-len 8 --threads 1 --epochs 0 --steps 5 \
    --save "$out/lm.safetensors" >/dev/null 2>&1 || fail "the installed recur cannot train"
LD_LIBRARY_PATH=$prefix/lib "$out/embed-shared" "$out/lm.safetensors" 30 >"$out/embed-shared.txt" ||
    fail "embed-shared failed"
"$out/embed-static" "$out/lm.safetensors" 30 >"$out/embed-static.txt" || fail "embed-static failed"
cmp -s "$out/embed-shared.txt" "$out/embed-static.txt" ||
    fail "the shared and static embed print different things"
"$prefix/bin/recur" sample --model "$out/lm.safetensors" --length 30 >"$out/sample.txt"
sed '1,/^prediction:$/d' "$out/embed-shared.txt" | cmp -s - "$out/sample.txt" ||
    fail "embed's text is not recur sample's"

make --no-print-directory -s uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" ! -type d ! -path "$out/*")
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install: make install, pkg-config (shared: $soname; static), example and embed run, uninstall: ok"
