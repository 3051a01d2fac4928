#!/bin/sh
# Downloads a data set into $RECUR_DATA (default data/) on a machine with
# internet access, checking its SHA-256. The library and the tests never
# download anything; CI and developers read the mirror at ../shared/data.
#   scripts/get-data.sh tinyshakespeare
set -eu
dest=${RECUR_DATA:-data}
case "${1:-}" in
tinyshakespeare)
    url=https://raw.githubusercontent.com/karpathy/char-rnn/6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt
    sum=86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed
    file=$dest/tinyshakespeare/input.txt ;;
*)
    echo "usage: scripts/get-data.sh tinyshakespeare" >&2
    exit 2 ;;
esac
mkdir -p "$(dirname "$file")"
curl -fsSL "$url" -o "$file.part"
echo "$sum  $file.part" | sha256sum -c - >/dev/null || {
    echo "get-data: checksum mismatch for $url" >&2
    rm -f "$file.part"
    exit 1
}
mv "$file.part" "$file"
echo "get-data: $file"
