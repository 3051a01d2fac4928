#!/bin/sh
# Offline test of scripts/get-data.sh. From the project's data mirror
# (../shared/data, or $GET_DATA_TEST_MIRROR) it builds a fake download
# directory holding, under each URL's last path component, what that URL
# serves: the file itself, or the archive rebuilt from the mirror's files
# (fra-eng.zip with zip, the FSDD tarball with tar, the .conllu files
# gunzipped, the piano-roll .mat files with scipy). Then it runs get-data.sh
# with GET_DATA_MIRROR pointing there and checks that
#   - every set comes out identical (cmp) to the mirror, no file more or less;
#   - a second run finds everything in place and copies nothing;
#   - the rebuilt zip and .mat fail their PROVENANCE checksums unless
#     GET_DATA_UNCHECKED_ARCHIVES=1 (so those checks are live);
#   - a corrupted download fails with "checksum mismatch for URL", exits 1
#     and leaves nothing in $RECUR_DATA;
#   - research-only sets are refused, every mirror set is either fetchable or
#     refused, unknown names exit 2, and missing curl / unzip / scipy are
#     named with their Debian package.
# Without the mirror it prints SKIP and exits 0. Without zip+unzip, or a
# python3 with scipy, it leaves out the sets that need them and says so.
# Exit status 0 when every check passes, 1 otherwise.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
gd="$root/scripts/get-data.sh"
mirror=${GET_DATA_TEST_MIRROR:-$root/../shared/data}
if [ ! -d "$mirror/tinyshakespeare" ]; then
    echo "get_data_test: SKIP: no data mirror at $mirror"
    exit 0
fi
mirror=$(cd "$mirror" && pwd)
# Unpacking FSDD creates 3,000 files, which takes seconds on some disks: work
# in /dev/shm when TMPDIR is not set and it has room (the test needs ~200 MB).
base=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 524288 ] 2>/dev/null; then
    base=/dev/shm
fi
tmp=$(mktemp -d "$base/get_data_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
checks=0
fails=0
ok() {
    checks=$((checks + 1))
    echo "ok   $*"
}
bad() {
    checks=$((checks + 1))
    fails=$((fails + 1))
    echo "FAIL $*"
}
unset RECUR_DATA GET_DATA_MIRROR GET_DATA_UNCHECKED_ARCHIVES

# Tools for the rebuilt archives.
py=
for p in "${PYTHON:-python3}" python3 /usr/bin/python3; do
    if "$p" -c 'import numpy, scipy.io' >/dev/null 2>&1; then
        py=$p
        break
    fi
done
have_zip=1
command -v zip >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 || have_zip=
sets=
for n in $(sh "$gd" --list); do
    case $n in
    jsb_chorales | nottingham | piano_midi)
        if [ -z "$py" ]; then
            echo "skip $n: no python3 with numpy and scipy to write its .mat (Debian: python3-scipy)"
            continue
        fi ;;
    anki_eng_fra)
        if [ -z "$have_zip" ]; then
            echo "skip $n: zip and unzip are needed to rebuild and read fra-eng.zip (Debian: zip unzip)"
            continue
        fi ;;
    esac
    sets="$sets $n"
done

# mkmat SETDIR OUT: the B-L .mat layout (1 x N cells of T x 88 uint8) from the text files
mkmat() {
    "$py" - "$1" "$2" <<'EOF'
import sys
import numpy as np
from scipy.io import savemat
d = {}
for key, name in (("traindata", "train.txt"), ("validdata", "valid.txt"), ("testdata", "test.txt")):
    rolls = []
    for line in open("%s/%s" % (sys.argv[1], name), encoding="ascii"):
        steps = line.rstrip("\n").split(" ")
        a = np.zeros((len(steps), 88), dtype=np.uint8)
        for t, s in enumerate(steps):
            if s != "-":
                for k in s.split(","):
                    a[t, int(k) - 21] = 1
        rolls.append(a)
    cells = np.empty((1, len(rolls)), dtype=object)
    for i, a in enumerate(rolls):
        cells[0, i] = a
    d[key] = cells
savemat(sys.argv[2], d, do_compression=True)
EOF
}

# mktar OUT.tar.gz [FILE]: a GitHub-style tarball of the FSDD repository: one
# top folder named after the commit, holding recordings/ (and the mirror's
# other fsdd files, standing in for the rest of the repository). With FILE,
# a second copy of FILE's recording comes after the first, so that unpacking
# overwrites the good one with it. (-h: the top folder is a symbolic link to
# the mirror, so that no copy of the 3,000 files is made.)
mktar() {
    b=${1##*/}
    top=free-spoken-digit-dataset-${b%.tar.gz}
    rm -rf "$tmp/tar"
    mkdir -p "$tmp/tar/1" "$tmp/tar/2/$top/recordings"
    ln -s "$mirror/fsdd" "$tmp/tar/1/$top"
    if [ $# = 2 ]; then
        cp "$2" "$tmp/tar/2/$top/recordings/"
        tar -chf - -C "$tmp/tar/1" "$top" -C "$tmp/tar/2" "$top/recordings/${2##*/}"
    else
        tar -chf - -C "$tmp/tar/1" "$top"
    fi | gzip -1 >"$1"
}

# The fake download directory.
src=$tmp/src
mkdir "$src"
t0=$(date +%s)
for n in $sets; do
    for u in $(sh "$gd" --urls "$n"); do
        b=${u##*/}
        m=$mirror/$n
        if [ -f "$m/$b" ]; then
            cp "$m/$b" "$src/$b"
        elif [ -f "$m/$b.txt" ]; then # readme, *.names: renamed .txt in the mirror
            cp "$m/$b.txt" "$src/$b"
        elif [ -f "$m/$b.gz" ]; then # the .conllu files, kept gzipped
            gzip -dc "$m/$b.gz" >"$src/$b"
        else
            case $b in
            fra-eng.zip) (cd "$m" && zip -q -X "$src/$b" fra.txt _about.txt) ;;
            *.tar.gz) mktar "$src/$b" ;;
            *.mat) mkmat "$m" "$src/$b" ;;
            *) echo "get_data_test: do not know how to make $b for $n" >&2 ;;
            esac
        fi
        [ -f "$src/$b" ] || bad "fake download $b for $n"
    done
done
echo "in $tmp, made the fake downloads for:$sets ($(ls "$src" | wc -l | tr -d ' ') files, $(($(date +%s) - t0)) s)"

# run OUTDIR ARGS...: get-data.sh with RECUR_DATA=OUTDIR, and GET_DATA_MIRROR=$M,
# GET_DATA_UNCHECKED_ARCHIVES=$U, PYTHON=$P, PATH=$X where those are set;
# output in $tmp/log, exit status in $rc
M='' U='' P='' X=''
run() {
    o=$1
    shift
    env RECUR_DATA="$o" ${M:+GET_DATA_MIRROR=$M} ${U:+GET_DATA_UNCHECKED_ARCHIVES=$U} \
        ${P:+PYTHON=$P} ${X:+PATH=$X} sh "$gd" "$@" >"$tmp/log" 2>&1
    rc=$?
}
# empty DIR: nothing at all in DIR (no file, no temporary folder)
empty() {
    [ -z "$(ls -A "$1" 2>/dev/null)" ]
}
same_as_mirror() { # OUTDIR NAME: same files, same bytes (diff -r compares them byte by byte)
    if d=$(diff -r -x PROVENANCE.md "$mirror/$2" "$1/$2" 2>&1); then
        ok "$2: $(find "$1/$2" -type f | wc -l | tr -d ' ') files, byte-identical to the mirror's (diff -r)"
    else
        bad "$2: differs from the mirror: $(echo "$d" | head -3 | tr '\n' ' ')"
    fi
}

# 1. Everything, from the fake downloads.
out=$tmp/out
t0=$(date +%s)
M=$src U=1 P=$py
run "$out" $sets
if [ $rc = 0 ]; then
    ok "get-data.sh$sets: exit 0 ($(($(date +%s) - t0)) s)"
else
    bad "get-data.sh$sets: exit $rc"
    sed 's/^/    /' "$tmp/log"
fi
for n in $sets; do
    same_as_mirror "$out" "$n"
done
if [ -z "$(find "$out" -name '.get-data.*')" ]; then
    ok "no temporary folder left in RECUR_DATA"
else
    bad "temporary folder left: $(find "$out" -name '.get-data.*')"
fi

# 2. Again: nothing to copy.
M=$src U='' P=$py
run "$out" $sets
n_present=$(grep -c 'already in' "$tmp/log")
if [ $rc = 0 ] && [ "$n_present" = "$(echo $sets | wc -w)" ] && ! grep -q copying "$tmp/log"; then
    ok "second run: all $n_present sets already present, nothing copied"
else
    bad "second run: exit $rc, $n_present sets present"
    sed 's/^/    /' "$tmp/log"
fi

# expect_fail WHAT NEEDLE OUTDIR ARGS...: exit 1, NEEDLE in the message, OUTDIR left empty
expect_fail() {
    what=$1 needle=$2
    shift 2
    o=$1
    run "$@"
    if [ $rc = 1 ] && grep -qF -- "$needle" "$tmp/log" && empty "$o"; then
        ok "$what: exit 1, says \"$(grep -F -- "$needle" "$tmp/log" | head -1 | cut -c1-230)\", RECUR_DATA left empty"
    else
        bad "$what: exit $rc, RECUR_DATA $(empty "$o" && echo empty || echo "not empty: $(ls -A "$o")")"
        sed 's/^/    /' "$tmp/log"
    fi
}

# 3. The PROVENANCE sums of the zip and the .mat files are checked.
for n in anki_eng_fra jsb_chorales; do
    case " $sets " in *" $n "*) ;; *) continue ;; esac
    u=$(sh "$gd" --urls "$n")
    M=$src U='' P=$py
    expect_fail "$n, rebuilt ${u##*/} with its archive check on" "checksum mismatch for $u" "$tmp/o3$n" "$n"
done

# 4. Corrupted downloads.
bad_src=$tmp/bad
mkdir "$bad_src"
for f in "$src"/*; do ln -s "$f" "$bad_src/"; done
corrupt() { # BASENAME: a copy with one byte changed
    rm -f "$bad_src/$1"
    cp "$src/$1" "$bad_src/$1"
    printf 'Z' | dd of="$bad_src/$1" bs=1 seek=100 conv=notrunc 2>/dev/null
}
corrupt input.txt
u=$(sh "$gd" --urls tinyshakespeare)
M=$bad_src P=''
expect_fail "tinyshakespeare, input.txt corrupted" "checksum mismatch for $u" "$tmp/o4a" tinyshakespeare
corrupt readme
u=$(sh "$gd" --urls sms_spam | grep '/readme$')
expect_fail "sms_spam, its 2nd file corrupted (the good 1st not installed either)" "checksum mismatch for $u" "$tmp/o4b" sms_spam
corrupt en_ewt-ud-dev.conllu
u=$(sh "$gd" --urls ud_en_ewt | grep 'dev.conllu$')
expect_fail "ud_en_ewt, a .conllu corrupted" "checksum mismatch for $u" "$tmp/o4c" ud_en_ewt
u=$(sh "$gd" --urls fsdd)
b=${u##*/}
rm -f "$bad_src/$b"
cp "$mirror/fsdd/recordings/7_theo_13.wav" "$tmp/7_theo_13.wav"
printf 'Z' | dd of="$tmp/7_theo_13.wav" bs=1 seek=100 conv=notrunc 2>/dev/null
mktar "$bad_src/$b" "$tmp/7_theo_13.wav"
expect_fail "fsdd, one recording in the tarball corrupted" "checksum mismatch for $u (recordings/" "$tmp/o4d" fsdd
rm -f "$bad_src/input.txt"
expect_fail "tinyshakespeare, file missing from GET_DATA_MIRROR" "GET_DATA_MIRROR has no input.txt" "$tmp/o4e" tinyshakespeare

# 5. GET_DATA_MIRROR as a file:// URL.
M=file://$src
run "$tmp/o5" tinyshakespeare
if [ $rc = 0 ] && cmp -s "$tmp/o5/tinyshakespeare/input.txt" "$mirror/tinyshakespeare/input.txt"; then
    ok "GET_DATA_MIRROR=file://...: tinyshakespeare identical"
else
    bad "GET_DATA_MIRROR=file://...: exit $rc"
    sed 's/^/    /' "$tmp/log"
fi

# 6. Names: research-only refused, everything in the mirror covered, unknown names.
list=" $(sh "$gd" --list | tr '\n' ' ') "
for n in ptb multi30k musedata; do
    case $list in *" $n "*) bad "$n is in --list" ;; esac
    M=$src
    expect_fail "$n (research-only) refused" "$n is research-only" "$tmp/o6$n" "$n"
done
expect_fail "tinyshakespeare ptb: refused before fetching anything" "ptb is research-only" "$tmp/o6mix" tinyshakespeare ptb
missing=
for d in "$mirror"/*/; do
    n=$(basename "$d")
    case "$list ptb multi30k musedata " in *" $n "*) ;; *) missing="$missing $n" ;; esac
done
for n in $list; do [ -d "$mirror/$n" ] || missing="$missing $n(not in mirror)"; done
if [ -z "$missing" ]; then
    ok "every mirror set is fetchable (--list:$(echo $list | wc -w | tr -d ' ')) or refused as research-only (3)"
else
    bad "mirror sets neither fetchable nor refused:$missing"
fi
M=''
run "$tmp/o6u" no_such_set
if [ $rc = 2 ] && grep -q "unknown data set 'no_such_set'" "$tmp/log"; then ok "unknown name: exit 2"; else bad "unknown name: exit $rc"; fi

# 7. Missing tools are named with their Debian package.
mkdir "$tmp/bin"
for t in sh awk sha256sum mktemp cut tr wc cat mkdir rm cp mv tar gzip dirname; do
    p=$(command -v $t) && ln -s "$p" "$tmp/bin/$t"
done
X=$tmp/bin
expect_fail "no curl" "apt-get install curl" "$tmp/o7a" tinyshakespeare
M=$src
expect_fail "no unzip" "apt-get install unzip" "$tmp/o7b" anki_eng_fra
X='' P=$tmp/no-python
expect_fail "no python3 with scipy" "apt-get install python3-scipy" "$tmp/o7c" jsb_chorales

echo "get_data_test: $checks checks, $fails failed"
[ $fails = 0 ]
