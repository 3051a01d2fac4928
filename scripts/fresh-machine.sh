#!/bin/sh
# Proves the README's two commands on a fresh machine: builds a minimal
# Debian root of this machine's own release with debootstrap (the archive
# taken from this machine's apt configuration), puts a clean clone of this
# repository's HEAD in it with nothing beside it, and runs, as root inside
# it with a clean environment, the two commands exactly as the README writes
# them: the tests, then the main job (with DEMO_SECONDS, default 20, so it is
# short). Prints each command's exit status and the closing line of the test
# runner; exits non-zero when either command fails.
#
#   sh scripts/fresh-machine.sh          (as root; .ci/run runs it)
#
# The pristine root is cached as a tarball (FRESH_CACHE, default
# /var/cache/recur-fresh) and unpacked afresh for every run; the packages
# apt downloads inside it are cached there too, so that a second run on the
# same machine does not download them again (apt still decides, inside the
# root, what to install). FRESH_KEEP=1 leaves the root in place for a look.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
cache=${FRESH_CACHE:-/var/cache/recur-fresh}
demo_seconds=${DEMO_SECONDS:-20}

say() { echo "fresh-machine: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
. /etc/os-release
release=${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}
arch=$(dpkg --print-architecture)

# The archive of this machine's release, from its own apt configuration
# (deb822 .sources or one-line sources.list), never written here.
mirror() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v rel="$release" '
            /^[ \t]*$/ { if (deb && suite && uri) { print uri; exit } deb = suite = uri = 0 }
            /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == rel) suite = 1 }
            /^URIs:/ { uri = $2 }
            END { if (deb && suite && uri) print uri }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v rel="$release" '$1 == "deb" {
            i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /^\[/ || $i ~ /\]$/) i++
            if ($(i + 1) == rel) print $i }'
}
archive=$(mirror | head -n 1)
[ -n "$archive" ] || die "no apt source for $release in /etc/apt (sources.list, sources.list.d)"

tarball=$cache/$release-$arch-minbase.tar
debs=$cache/$release-$arch-debs
mkdir -p "$cache" "$debs"
if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || {
        say "installing debootstrap"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; }
    }
    say "debootstrap --variant=minbase $release from $archive (once; cached in $tarball)"
    staging=$(mktemp -d "$cache/staging.XXXXXX")
    debootstrap --variant=minbase --arch="$arch" "$release" "$staging" "$archive" >"$cache/debootstrap.log" 2>&1 ||
        { rm -rf "$staging"; die "debootstrap failed; see $cache/debootstrap.log"; }
    rm -rf "$staging/var/cache/apt/archives/"*.deb
    tar -C "$staging" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$staging"
fi

root=$(mktemp -d /var/tmp/recur-fresh.XXXXXX)
cleanup() {
    mountpoint -q "$root/proc" 2>/dev/null && umount -l "$root/proc"
    if [ "${FRESH_KEEP:-0}" = 1 ]; then say "root kept at $root"
    else rm -rf --one-file-system "$root"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# Only /proc is mounted (ASan and OpenMP read it); the device nodes are the
# root's own, so that nothing of this machine's is bound inside it.
mkdir -p "$root/proc" "$root/dev"
mount -t proc proc "$root/proc"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    name=${node%%:*}; nums=${node#*:}
    [ -c "$root/dev/$name" ] || { rm -f "$root/dev/$name"; mknod -m 666 "$root/dev/$name" c "${nums%:*}" "${nums#*:}"; }
done
mkdir -p "$root/dev/shm" && chmod 1777 "$root/dev/shm"
cp "$debs"/*.deb "$root/var/cache/apt/archives/" 2>/dev/null || true

# A clean clone of HEAD: what is committed, nothing else, nothing beside it.
git clone -q --no-hardlinks "$repo" "$root/root/recur"
say "clone of $(git rev-parse --short HEAD) in a fresh $release root"

# The README's two commands, as written.
readme_command() {  # $1: the make target
    grep -E "^sh scripts/deps.sh && make $1( |$)" README.md | sed 's/ *#.*//' | head -n 1
}
test_cmd=$(readme_command test)
demo_cmd=$(readme_command demo)
[ -n "$test_cmd" ] && [ -n "$demo_cmd" ] || die "README.md lacks its two commands"

run() {  # $1: log name, $2: command; as root, in the root, clean environment
    env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM=dumb DEMO_SECONDS="$demo_seconds" \
        ${OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE} \
        ${OPENBLAS_L2_SIZE:+OPENBLAS_L2_SIZE=$OPENBLAS_L2_SIZE} \
        chroot "$root" sh -c "cd /root/recur && $2" >"$root/$1.log" 2>&1
}
say "running: $test_cmd"
start=$(date +%s)
if run tests "$test_cmd"; then test_rc=0; else test_rc=$?; fi
say "tests: exit status $test_rc after $(( $(date +%s) - start )) s"
closing=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$root/tests.log" || true)
printf '%s\n' "$closing" | sed 's/^/fresh-machine: closing line: /' >&2
[ "$test_rc" = 0 ] || tail -n 40 "$root/tests.log" >&2

say "running: $demo_cmd  (DEMO_SECONDS=$demo_seconds)"
start=$(date +%s)
if run demo "$demo_cmd"; then demo_rc=0; else demo_rc=$?; fi
say "demo: exit status $demo_rc after $(( $(date +%s) - start )) s; its last lines:"
tail -n 12 "$root/demo.log" >&2
cp "$root/var/cache/apt/archives/"*.deb "$debs/" 2>/dev/null || true
# It trained (a "done" line) and printed text (what follows the sample
# command: the prime and at least 300 more characters).
if [ "$demo_rc" = 0 ]; then
    grep -q '^recur train: done after' "$root/demo.log" ||
        { say "demo: no 'recur train: done' line"; demo_rc=1; }
    chars=$(sed -n '/recur sample/,$p' "$root/demo.log" | sed '1,/--prime/d' | wc -c)
    [ "$chars" -ge 300 ] || { say "demo: printed $chars characters of text"; demo_rc=1; }
fi

[ "$test_rc" = 0 ] && [ "$demo_rc" = 0 ] || die "FAILED (tests $test_rc, demo $demo_rc)"
say "passed: the README's two commands work on a fresh $release root"
