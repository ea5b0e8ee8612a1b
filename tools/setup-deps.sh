#!/usr/bin/env bash
# Installs the Debian 12 packages gst-lsfa needs, when they are missing. Idempotent.
set -euo pipefail

PACKAGES=(
  meson ninja-build pkg-config g++ clang-format
  libtorch-dev libopenblas0-pthread libopencv-dev
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
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
