#!/bin/sh
# Installs the Debian packages the build and the tests need, when they are missing.
# Usage: scripts/install-deps.sh        (uses sudo when not root)
set -eu
PKGS="libncurses-dev libpng-dev libjpeg62-turbo-dev libopenblas-dev ncurses-term tmux pkg-config"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "ram: installing missing system packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
else
    echo "ram: cannot install$missing: not root and no sudo." >&2
    echo "     Ask an administrator to run: apt-get install -y$missing" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ram: no apt-get here; install the equivalents of:$missing" >&2
    exit 1
fi
# apt may be locked by another apt run: retry a few times.
for i in 1 2 3 4 5 6; do
    if $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
       $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; then
        exit 0
    fi
    echo "ram: apt-get failed (attempt $i), retrying in 10 s" >&2
    sleep 10
done
echo "ram: could not install:$missing. Run: apt-get install -y$missing" >&2
exit 1
