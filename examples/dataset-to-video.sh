#!/usr/bin/env bash
# Plays a data set (MVTec 3D-AD layout, or what `lsfa synth` writes) through the inspection
# elements and writes an annotated WebM video: heatmap, verdict border and score on every frame.
#
#   examples/dataset-to-video.sh DATA CATEGORY MODEL.lsfa OUT.webm [SPLIT]
#
# Needs GST_PLUGIN_PATH to point at the plugin (build/plugins in a build tree).
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: $0 DATA CATEGORY MODEL.lsfa OUT.webm [SPLIT]" >&2
  exit 2
fi
DATA=$1 CATEGORY=$2 MODEL=$3 OUT=$4 SPLIT=${5:-test}

# libgomp (LibTorch's thread pool) spins while idle unless told otherwise (docs/performance.md).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

# -e: on Ctrl-C send EOS first so webmmux finishes a playable file.
# vp8enc deadline=1: fastest (real-time) encoding.
gst-launch-1.0 -e \
  lsfasrc location="$DATA" category="$CATEGORY" split="$SPLIT" framerate=5/1 \
  ! lsfafeatures model="$MODEL" \
  ! lsfascore model="$MODEL" \
  ! lsfaoverlay \
  ! videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location="$OUT"
