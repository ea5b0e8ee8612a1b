#!/usr/bin/env bash
# examples/dataset-to-video.sh writes a WebM with one annotated frame per test sample.
source "$(dirname "$0")/common.sh"
make_data_and_model
"$EXAMPLES/dataset-to-video.sh" "$WORK/data" ring "$WORK/ring.lsfa" "$WORK/out.webm"
read -r frames size < <(webm_frames "$WORK/out.webm")
expected=$(test_frames)
[ "$frames" -eq "$expected" ] || fail "video has $frames frames, the test split $expected"
[ "$size" = 96x72 ] || fail "video frames are $size, not 96x72"
echo "ok: $frames frames of $size"
