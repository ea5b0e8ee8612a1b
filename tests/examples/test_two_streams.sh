#!/usr/bin/env bash
# examples/two-streams.sh pairs the RGB and depth PNG sequences with the calibration from
# intrinsics.json: one annotated frame per stream frame.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$EXAMPLES/two-streams.sh" "$WORK/data/ring/stream" "$WORK/ring.lsfa" "$WORK/out.webm"
read -r frames size < <(webm_frames "$WORK/out.webm")
expected=$(find "$WORK/data/ring/stream/rgb" -name '*.png' | wc -l)
[ "$expected" -eq 4 ] || fail "synth wrote $expected stream frames, not 4"
[ "$frames" -eq "$expected" ] || fail "video has $frames frames, the stream $expected"
[ "$size" = 96x72 ] || fail "video frames are $size, not 96x72"
# An intrinsics.json without depth_scale: the example stops with a message naming the key.
mkdir -p "$WORK/bad" && cp -r "$WORK/data/ring/stream/rgb" "$WORK/data/ring/stream/depth" "$WORK/bad/"
jq 'del(.depth_scale)' "$WORK/data/ring/stream/intrinsics.json" > "$WORK/bad/intrinsics.json"
if "$EXAMPLES/two-streams.sh" "$WORK/bad" "$WORK/ring.lsfa" "$WORK/bad.webm" > "$WORK/bad.log" 2>&1; then
  fail "a stream without depth scale was accepted"
fi
grep -q 'no depth_scale' "$WORK/bad.log" || fail "missing depth_scale not named: $(cat "$WORK/bad.log")"
# Without calibration in the depth caps (and no fallback properties) lsfafeatures refuses the depth.
set +e
gst-launch-1.0 lsfafeatures name=f model="$WORK/ring.lsfa" ! fakesink \
  multifilesrc location="$WORK/bad/rgb/%03d.png" caps=image/png,framerate=5/1 ! pngdec ! \
    videoconvert ! video/x-raw,format=BGRx ! f.rgb \
  multifilesrc location="$WORK/bad/depth/%03d.png" caps=image/png,framerate=5/1 ! pngdec ! \
    videoconvert ! video/x-raw,format=GRAY16_LE ! f.depth > "$WORK/nocal.log" 2>&1
status=$?
set -e
[ "$status" -ne 0 ] || fail "depth without calibration accepted"
grep -qi 'depth-scale' "$WORK/nocal.log" || fail "missing calibration not named: $(tail -5 "$WORK/nocal.log")"
echo "ok: $frames frames of $size; missing calibration refused"
