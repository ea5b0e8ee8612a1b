#!/usr/bin/env bash
# `meson install` into a temporary --destdir, then, with the installed files only (docs/install.md):
# - the plugin lies in GStreamer's own plugin folder (pluginsdir of gstreamer-1.0.pc) for a
#   system-wide prefix, else under the prefix, and no installed binary keeps a build-tree run path;
# - the installed `lsfa` command makes a small model;
# - an outside C++ program built with `pkg-config --cflags --libs lsfa` loads it (load_bundle) and
#   prints what `lsfa info` prints, and the bank sum numpy computes from the file;
# - an outside C program built with `pkg-config --cflags --libs gstlsfacaps-1.0` uses the metas;
# - gst-inspect-1.0 loads the installed plugin (GST_PLUGIN_PATH, fresh registry);
# - Python imports the installed GstLsfa typelib (GI_TYPELIB_PATH).
# Environment (tests/meson.build): MESON, LSFA_BUILD_ROOT, LSFA_SOURCE_ROOT.
set -euo pipefail
export OMP_WAIT_POLICY=passive
PY=/usr/bin/python3
HERE="$LSFA_SOURCE_ROOT/tests/install"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lsfa-install-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/root"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The single installed file named $1.
installed() {
  local found
  found=$(find "$DEST" -name "$1" \( -type f -o -type l \))
  [ -n "$found" ] && [ "$(echo "$found" | wc -l)" -eq 1 ] || fail "installed '$1': '$found'"
  echo "$found"
}

"$MESON" install -C "$LSFA_BUILD_ROOT" --no-rebuild --destdir "$DEST" > "$WORK/install.log" 2>&1 ||
  fail "meson install: $(tail -20 "$WORK/install.log")"

option() {
  "$MESON" introspect "$LSFA_BUILD_ROOT" --buildoptions |
    "$PY" -c "import json,sys; print([o['value'] for o in json.load(sys.stdin) if o['name']=='$1'][0])"
}
prefix=$(option prefix)
plugin=$(installed libgstlsfa.so)
liblsfa=$(installed liblsfa.so)
libdir=$(dirname "$liblsfa")
lsfa_pc=$(installed lsfa.pc)
caps_pc=$(installed gstlsfacaps-1.0.pc)
[ "$(dirname "$lsfa_pc")" = "$(dirname "$caps_pc")" ] || fail "lsfa.pc and gstlsfacaps-1.0.pc apart"
lsfa_tool=$(installed lsfa)
[ -x "$lsfa_tool" ] || fail "$lsfa_tool is not executable"

# Where the plugin went: GStreamer's folder for a system-wide prefix (no option given).
if [ -z "$(option gst_plugins_install_dir)" ]; then
  gst_prefix=$(pkg-config --variable=prefix gstreamer-1.0)
  if [ "$prefix" = /usr/local ] || [ "$prefix" = "$gst_prefix" ]; then
    want="$DEST$(pkg-config --variable=pluginsdir gstreamer-1.0)/libgstlsfa.so"
  else
    want="$DEST$prefix/$(option libdir)/gstreamer-1.0/libgstlsfa.so"
  fi
  [ "$plugin" = "$want" ] || fail "plugin installed as $plugin, not $want"
fi
for f in "$plugin" "$liblsfa" "$lsfa_tool" "$(installed libgstlsfacaps-1.0.so)"; do
  # (Whole outputs into variables: `grep -q` closing a pipe early fails it under pipefail.)
  dynamic=$(readelf -d "$(readlink -f "$f")")
  rpaths=$(grep -E 'R(UN)?PATH' <<< "$dynamic" || true)
  # Meson's build-tree run paths are $ORIGIN-relative (or absolute into the build folder); the
  # installed files must not keep them, or they could load libraries from elsewhere.
  if [[ "$rpaths" == *"$LSFA_BUILD_ROOT"* || "$rpaths" == *'$ORIGIN'* ]]; then
    fail "$f keeps a run path of the build tree: $rpaths"
  fi
done

export LD_LIBRARY_PATH="$libdir"
# The installed .pc files name the configured prefix; copies whose prefix is the destdir copy of it
# (as a packager stages them) let the programs below build against the staged files.
mkdir "$WORK/pkgconfig"
for pc in "$lsfa_pc" "$caps_pc"; do
  grep -qxF "prefix=$prefix" "$pc" || fail "$pc: no line prefix=$prefix"
  sed "s|^prefix=.*|prefix=$DEST$prefix|" "$pc" > "$WORK/pkgconfig/$(basename "$pc")"
done
export PKG_CONFIG_PATH="$WORK/pkgconfig"
[ "$(pkg-config --variable=libdir lsfa)" = "$libdir" ] ||
  fail "lsfa.pc libdir $(pkg-config --variable=libdir lsfa), not $libdir"

# A small model made by the installed command.
"$lsfa_tool" synth --out "$WORK/data" --category ring --seed 3 --train 6 --validation 3 \
  --test-good 1 --test-defect 1 --size 96x72 > /dev/null
"$lsfa_tool" fit --data "$WORK/data" --category ring --out "$WORK/ring.lsfa" --preset small \
  --threads 2 > /dev/null
"$lsfa_tool" info "$WORK/ring.lsfa" | tail -n +2 > "$WORK/info.txt"

# The C++ application: only the flags of lsfa.pc.
# shellcheck disable=SC2046
c++ -o "$WORK/use_lsfa" "$HERE/use_lsfa.cpp" $(pkg-config --cflags --libs lsfa) ||
  fail "use_lsfa.cpp does not build with pkg-config --cflags --libs lsfa"
ldd "$WORK/use_lsfa" > "$WORK/ldd.txt"
grep -qF "$libdir/liblsfa.so" "$WORK/ldd.txt" || fail "use_lsfa does not use $libdir: $(cat "$WORK/ldd.txt")"
"$WORK/use_lsfa" "$WORK/ring.lsfa" > "$WORK/use_lsfa.txt"
grep -v '^rgb bank sum' "$WORK/use_lsfa.txt" | diff - "$WORK/info.txt" ||
  fail "use_lsfa and lsfa info describe the bundle differently"
sum=$(sed -n 's/^rgb bank sum //p' "$WORK/use_lsfa.txt")
[ -n "$sum" ] || fail "no bank sum: $(cat "$WORK/use_lsfa.txt")"
"$PY" -c "
import sys; sys.path.insert(0, '$LSFA_SOURCE_ROOT/tests/python')
import numpy as np, safetensors_np
bank = safetensors_np.load('$WORK/ring.lsfa')[0]['bank.rgb'].astype(np.float64)
want = bank.sum()
assert abs(want - $sum) <= 1e-4 * max(1.0, np.abs(bank).sum()), (want, $sum)
" || fail "bank sum $sum differs from numpy's"

# The C application: only the flags of gstlsfacaps-1.0.pc.
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror -o "$WORK/use_gstlsfacaps" "$HERE/use_gstlsfacaps.c" \
  $(pkg-config --cflags --libs gstlsfacaps-1.0) ||
  fail "use_gstlsfacaps.c does not build with pkg-config --cflags --libs gstlsfacaps-1.0"
[ "$("$WORK/use_gstlsfacaps")" = ok ] || fail "use_gstlsfacaps"

# gst-inspect-1.0 finds the installed plugin, with a registry of its own.
export GST_REGISTRY="$WORK/registry.bin"
export GST_PLUGIN_PATH
GST_PLUGIN_PATH=$(dirname "$plugin")
gst-inspect-1.0 lsfa > "$WORK/inspect.txt" 2>&1 || fail "gst-inspect-1.0 lsfa: $(cat "$WORK/inspect.txt")"
grep -qE "^  Filename +$plugin\$" "$WORK/inspect.txt" ||
  fail "gst-inspect-1.0 did not load $plugin: $(grep Filename "$WORK/inspect.txt")"
for element in lsfafeatures lsfascore lsfaoverlay lsfasrc; do
  grep -qE "^  $element: " "$WORK/inspect.txt" || fail "$element missing: $(cat "$WORK/inspect.txt")"
  gst-inspect-1.0 "$element" > /dev/null || fail "gst-inspect-1.0 $element"
done

# The installed typelib, from Python.
if [ -n "$(find "$DEST" -name 'GstLsfa-1.0.typelib')" ]; then
  typelib=$(installed GstLsfa-1.0.typelib)
  GI_TYPELIB_PATH=$(dirname "$typelib") "$PY" -c "
import gi
gi.require_version('Gst', '1.0'); gi.require_version('GstLsfa', '1.0')
gi.require_version('GIRepository', '2.0')
from gi.repository import GIRepository, Gst, GstLsfa
Gst.init(None)
path = GIRepository.Repository.get_default().get_typelib_path('GstLsfa')
assert path == '$typelib', path
buf = Gst.Buffer.new()
assert GstLsfa.buffer_get_anomaly_meta(buf) is None
m = GstLsfa.buffer_add_lsfa_anomaly_meta(buf)
m.score = 0.25
assert GstLsfa.buffer_get_anomaly_meta(buf).score == 0.25
" || fail "the installed GstLsfa typelib"
fi
echo "ok: installed under $DEST (prefix $prefix); plugin $plugin"
