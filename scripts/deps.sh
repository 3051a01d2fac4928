#!/bin/sh
# Installs what recur needs to build and test on Debian, when it is missing:
# a C compiler and make, OpenBLAS, jansson, zlib, pkg-config. Run as root, or
# with sudo available. Does nothing when everything is present. This is the
# only place that installs anything; `make` never does.
#
# The check is the build's own: for each library a small program that
# includes its header (<cblas.h>, <jansson.h>, <zlib.h>) and calls it is
# compiled and linked with the Makefile's LIBS. A header alone proves nothing
# (netlib's libblas-dev ships a cblas.h too, without libopenblas).
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"

links() {  # $1: C program, $2: libraries; true when it compiles and links
    command -v cc >/dev/null 2>&1 || return 1
    dir=$(mktemp -d)
    printf '%s\n' "$1" >"$dir/t.c"
    # shellcheck disable=SC2086
    if cc -o "$dir/t" "$dir/t.c" $2 >/dev/null 2>&1; then rc=0; else rc=1; fi
    rm -rf "$dir"
    return $rc
}
links '#include <cblas.h>
void openblas_set_num_threads(int);
int main(void) { float a = 1, c = 0; openblas_set_num_threads(1);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1, &a, 1, &a, 1, 0, &c, 1);
  return c != 1; }' '-lopenblas -lm -fopenmp' || need="$need libopenblas-dev"
links '#include <jansson.h>
int main(void) { json_t *o = json_object(); json_decref(o); return 0; }' \
    '-ljansson' || need="$need libjansson-dev"
links '#include <zlib.h>
int main(void) { z_stream z = {0}; return inflateInit2(&z, 16 + MAX_WBITS) != Z_OK ||
  inflateEnd(&z) != Z_OK; }' '-lz' || need="$need zlib1g-dev"

[ -z "$need" ] && exit 0
echo "scripts/deps.sh: installing$need" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $need
