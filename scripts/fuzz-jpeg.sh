#!/bin/sh
# Fuzzes the JPEG reader with mutated JPEG files, beyond the few hundred cases `make test` runs.
#   1. scripts/fuzz-jpeg.c: the C shim (Sources/CJPEGShim) built with AddressSanitizer and UBSan,
#      CASES mutated files (default 20000), seed SEED (default 1): any memory error stops it.
#   2. The Swift fuzz test (JPEGFuzzTests) with RAM_FUZZ_JPEG_CASES=CASES through ImageFile.read.
# Usage: scripts/fuzz-jpeg.sh [CASES] [SEED]     (run from anywhere)
set -eu
CASES=${1:-20000}
SEED=${2:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
F="$ROOT/Tests/ImagingTests/Fixtures"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -I"$ROOT/Sources/CJPEGShim/include" \
    "$ROOT/scripts/fuzz-jpeg.c" "$ROOT/Sources/CJPEGShim/jpegshim.c" -ljpeg -o "$TMP/fuzz"
echo "== C shim under ASan/UBSan: $CASES cases, seed $SEED"
"$TMP/fuzz" "$CASES" "$SEED" "$TMP/case.jpg" "$F/jpeg_rgb.jpg" "$F/jpeg_progressive.jpg" "$F/jpeg_gray.jpg" \
    "$F/orient6.jpg" "$F/photo_o6.jpg" "$F/jpeg_cmyk.jpg"
echo "== Swift ImageFile.read: $CASES cases, seed $SEED"
cd "$ROOT"
swift build --build-tests >/dev/null
RAM_FUZZ_JPEG_CASES=$CASES RAM_FUZZ_JPEG_SEED=$SEED swift test --skip-build --filter JPEGFuzzTests
