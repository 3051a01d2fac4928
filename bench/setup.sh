#!/bin/sh
# Installs what `make bench` needs beyond the build, when it is missing:
#   - what bench/*.py imports, from PyPI: PyTorch, NumPy and safetensors
#     (pip install --upgrade: the newest release); BENCH_UPGRADE_TORCH=1
#     upgrades an installed torch too;
#   - oneDNN's C API (Debian's libdnnl-dev).
# A failure here is not fatal: bench/run.py then shows "n/a" for what is
# missing and says why. Run as root, or with sudo available.
set -u
py=${PYTHON:-python3}
if ! "$py" -c 'import torch, numpy, safetensors.torch' >/dev/null 2>&1 ||
   [ "${BENCH_UPGRADE_TORCH:-0}" = 1 ]; then
    echo "bench/setup.sh: pip install --upgrade torch numpy safetensors" >&2
    "$py" -m pip install --upgrade torch numpy safetensors >&2 ||
        echo "bench/setup.sh: could not install torch, numpy, safetensors; PyTorch will show n/a" >&2
fi
if [ ! -f /usr/include/dnnl.h ] && [ ! -f /usr/include/oneapi/dnnl/dnnl.h ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "bench/setup.sh: apt-get install -y libdnnl-dev" >&2
    export DEBIAN_FRONTEND=noninteractive
    { $sudo apt-get install -y -qq libdnnl-dev >&2 ||
      { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq libdnnl-dev >&2; }; } ||
        echo "bench/setup.sh: could not install libdnnl-dev; oneDNN will show n/a" >&2
fi
exit 0
