#!/usr/bin/env bash
# Regenerates the README's pictures of the viewer (docs/view-*.png): drives the release
# binary in a private tmux server at 160×48, truecolor, on the bundled demo (astronaut,
# noise:25), captures each view with `tmux capture-pane -e -p` and renders the capture with
# scripts/capture-to-png.py (Pillow). Needs tmux and `make build` first.
#   scripts/readme-screenshots.sh [OUTDIR]    (default docs/; existing PNGs are replaced)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs}
ram=.build/release/ram
[ -x "$ram" ] || { echo "readme-screenshots: $ram missing; run make build first" >&2; exit 66; }
command -v tmux >/dev/null || { echo "readme-screenshots: tmux is not installed" >&2; exit 69; }
mkdir -p "$out"
sock="ram-shots-$$"
T() { tmux -L "$sock" "$@"; }
work=$(mktemp -d)
trap 'T kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
T start-server \; set -g default-terminal tmux-direct \; set -g escape-time 0 \; \
  new-session -d -s app -x 160 -y 48 -e LANG=C.UTF-8 -e COLORTERM=truecolor \
  "$PWD/$ram view --workers 1"
# Waits until the pane's text matches a regular expression (60 s at most).
wait_for() {
  for _ in $(seq 600); do
    T capture-pane -p -t app | grep -qE "$1" && { sleep 0.5; return 0; }
    sleep 0.1
  done
  echo "readme-screenshots: timed out waiting for '$1'" >&2; exit 1
}
shot() {
  T capture-pane -e -p -t app > "$work/$1.txt"
  python3 scripts/capture-to-png.py "$work/$1.txt" "$out/view-$1.png" --force
}
wait_for 'restore +done'
shot compare
T send-keys -t app 2; wait_for 'features +done'; shot features
T send-keys -t app 3; sleep 1; shot error
T send-keys -t app 4; wait_for 'grid +done'; shot grid
T send-keys -t app q
