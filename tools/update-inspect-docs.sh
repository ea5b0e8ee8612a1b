#!/usr/bin/env bash
# Regenerates docs/inspect/<element>.txt (gst-inspect-1.0 output of every lsfa element) from a
# build directory; tests/plugins/test_plugin.cpp checks that these files match the built plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export GST_PLUGIN_PATH="$PWD/$BUILD/plugins"
export GST_REGISTRY="$PWD/$BUILD/tests/gst-registry.bin"
export GST_INSPECT_NO_COLORS=1 PAGER=cat GST_PAGER=cat
for e in lsfafeatures lsfascore lsfaoverlay lsfasrc lsfametapublish lsfarecorder; do
  gst-inspect-1.0 "$e" | grep -v '^ *Filename ' > "docs/inspect/$e.txt"
done
echo "updated docs/inspect/*.txt"
