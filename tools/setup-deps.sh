#!/usr/bin/env bash
# Installs what gst-lsfa needs, when it is missing. Idempotent.
#  1. Debian 12 packages (build tools, OpenCV, GStreamer, Debian's LibTorch 1.13, test references).
#  2. A CUDA-enabled PyTorch 2.x from the Python package index into the project-local virtual
#     environment .venv (ignored by git; never the system Python). Its torch package folder is a
#     complete LibTorch, which meson uses by default (see docs/gpu.md). LSFA_SKIP_VENV=1 skips it.
set -euo pipefail

PACKAGES=(
  meson ninja-build pkg-config g++ clang-format
  libtorch-dev libopenblas0-pthread libopencv-dev
  # FAISS: the approximate memory bank indexes (lsfa fit --index ivf-flat|hnsw; optional in meson)
  libfaiss-dev
  nlohmann-json3-dev libcli11-dev libyaml-cpp-dev libzip-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good python3-gi gir1.2-gstreamer-1.0
  gir1.2-gst-plugins-base-1.0 jq
  # GObject introspection of the caps/meta library (GstLsfa-1.0 gir and typelib, docs/python.md)
  gobject-introspection libgirepository1.0-dev
  bc
  # clang: libFuzzer and its sanitizer runtimes for tools/fuzz.sh (tests/fuzz)
  clang
  python3-venv
  python3-torch python3-numpy python3-scipy python3-sklearn python3-tifffile python3-yaml python3-pil
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
else
  echo "setup-deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PyTorch into .venv. The version is pinned so that every machine builds against the same LibTorch;
# 2.15.0 is built for CUDA 13, matching the toolkit nvcc compiles our kernels with.
TORCH_VERSION=2.15.0
VENV="$(cd "$(dirname "$0")/.." && pwd)/.venv"
if [ "${LSFA_SKIP_VENV:-}" = "1" ]; then
  echo "setup-deps: LSFA_SKIP_VENV=1, no PyTorch venv"
  exit 0
fi
installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null || true)
if [ "$installed" = "$TORCH_VERSION" ]; then
  echo "setup-deps: PyTorch $installed present in .venv"
  exit 0
fi
echo "setup-deps: installing PyTorch $TORCH_VERSION (CUDA) into .venv"
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check --progress-bar off "torch==$TORCH_VERSION"
"$VENV/bin/python" -c 'import importlib.metadata as m; print("setup-deps: PyTorch", m.version("torch"), "in .venv")'
