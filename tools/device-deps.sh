#!/usr/bin/env bash
# Prepares, on a Debian 12 development machine with network, the build dependencies that
# tools/device-check.sh needs on a GPU machine without network and without them: the Debian packages
# of OpenCV (core, imgproc, imgcodecs), nlohmann-json, yaml-cpp, libzip, OpenSSL's libcrypto, CLI11,
# GoogleTest and pkgconf, with every library package they depend on that a minimal system lacks,
# downloaded with apt-get and unpacked (dpkg -x) into one folder, plus an opencv4.pc for the three
# OpenCV modules the project uses. Prints the folder's size: what travels to the GPU machine.
#
#   tools/device-deps.sh [PREFIX]     (default shared/device-deps)
#
# The unpacked libraries load where the C library is at least Debian 12's (glibc 2.36). OpenCV's
# image codecs depend on GDAL, whose own dependencies make up most of the size.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$root/shared/device-deps}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

wanted="libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev nlohmann-json3-dev
  libyaml-cpp-dev libzip-dev libssl-dev libcli11-dev libgtest-dev pkgconf"
# Present on any system that runs Python and nvcc: not carried.
base="libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 liblzma5 libbz2-1.0 libcrypt1 libselinux1
  libpcre2-8-0 libgmp10 libtinfo6 libmd0 libffi8 libuuid1 debconf dpkg perl-base tar libc-dev-bin
  libc6-dev linux-libc-dev libcrypt-dev libnsl-dev rpcsvc-proto libtirpc-dev gcc-12-base libgomp1"

# Dependency closure (Depends and Pre-Depends, first alternative), without the base packages.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $wanted | grep -v "^ " | grep -v "^<" | sort -u)
pkgs=()
for p in $closure; do
  case " $(echo $base) " in *" $p "*) continue ;; esac
  pkgs+=("$p")
done
echo "device-deps: ${#pkgs[@]} packages"
(cd "$work" && apt-get download "${pkgs[@]}" >/dev/null)
mkdir -p "$prefix"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$prefix"; done

# Debian's opencv4.pc comes with libopencv-dev, which pulls every OpenCV module; this one names the
# three the project uses.
pcdir=$prefix/usr/lib/x86_64-linux-gnu/pkgconfig
mkdir -p "$pcdir"
version=$(ls "$prefix"/usr/lib/x86_64-linux-gnu/libopencv_core.so.* | sed -n 's/.*\.so\.\([0-9.]*\)$/\1/p' | sort | tail -1)
cat >"$pcdir/opencv4.pc" <<EOF
prefix=/usr
libdir=\${prefix}/lib/x86_64-linux-gnu
includedir=\${prefix}/include/opencv4

Name: OpenCV
Description: OpenCV core, imgproc and imgcodecs (unpacked Debian packages)
Version: ${version:-4.6.0}
Libs: -L\${libdir} -lopencv_imgcodecs -lopencv_imgproc -lopencv_core
Cflags: -I\${includedir}
EOF
du -sh "$prefix"
