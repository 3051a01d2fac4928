#!/bin/sh
# Installs what recur needs to build and test on Debian, when it is missing:
# a C compiler and make, OpenBLAS (CBLAS), jansson (JSON). Run as root, or
# with sudo available. Does nothing when everything is present.
set -e
need=""
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v make >/dev/null 2>&1 || need="$need make"
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] ||
    [ -n "$(ls /usr/include/*/cblas.h 2>/dev/null)" ] || need="$need libopenblas-dev"
[ -f /usr/include/jansson.h ] || need="$need libjansson-dev"
[ -z "$need" ] && exit 0
echo "scripts/deps.sh: installing$need" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq $need
