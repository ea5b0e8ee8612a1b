#!/usr/bin/env bash
# Two separate streams, as an RGB camera and a depth camera deliver them: an RGB PNG sequence and
# a 16-bit depth PNG sequence, decoded by pngdec and paired by lsfafeatures on its `rgb` and `depth`
# pads. The depth calibration (depth scale, intrinsics and the size they are for) travels in the
# depth caps; here it is read from the intrinsics.json that `lsfa synth` writes next to the
# sequences (<category>/stream/{rgb,depth}/NNN.png).
#
#   examples/two-streams.sh STREAM_DIR MODEL.lsfa [OUT.webm]
#
# Without OUT.webm the annotated frames are shown in a window (autovideosink).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 STREAM_DIR MODEL.lsfa [OUT.webm]" >&2
  exit 2
fi
STREAM=$1 MODEL=$2 OUT=${3:-}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

# intrinsics.json: {"fx", "fy", "cx", "cy", "width", "height", "depth_scale"} -> caps fields.
CALIBRATION=$(jq -r 'def need(k): .[k] // error("\(input_filename): no \(k)");
  "depth-scale=(double)\(need("depth_scale")),"
  + "intrinsics=(double)<\(need("fx")),\(need("fy")),\(need("cx")),\(need("cy"))>,"
  + "intrinsics-size=(int)<\(need("width")),\(need("height"))>"' "$STREAM/intrinsics.json")

if [ -n "$OUT" ]; then
  SINK="videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location=$OUT"
else
  SINK="videoconvert ! autovideosink"
fi

# pngdec outputs 16-bit grey PNGs as GRAY16_BE; videoconvert makes the GRAY16_LE lsfafeatures wants.
# Both sequences get the same frame rate, so frame n of each has the same timestamp and they pair.
# shellcheck disable=SC2086  # $SINK is a pipeline fragment
gst-launch-1.0 -e \
  lsfafeatures name=f model="$MODEL" \
    ! lsfascore model="$MODEL" ! lsfaoverlay ! $SINK \
  multifilesrc location="$STREAM/rgb/%03d.png" caps=image/png,framerate=5/1 \
    ! pngdec ! videoconvert ! video/x-raw,format=BGRx ! f.rgb \
  multifilesrc location="$STREAM/depth/%03d.png" caps=image/png,framerate=5/1 \
    ! pngdec ! videoconvert ! "video/x-raw,format=GRAY16_LE,$CALIBRATION" ! f.depth
