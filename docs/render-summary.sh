#!/bin/sh
# Renders the job-summary golden for a plan with drift and blockers
# (internal/report/testdata/markdown/blockers.md) to docs/job-summary.png, for the README.
#
# Needs Go and Debian's chromium (apt-get install chromium fonts-noto-color-emoji). The golden is
# what report.Markdown writes; docs/render-summary.go turns that markdown subset into GitHub-like
# HTML (Mermaid pies drawn as SVG), chromium screenshots it, and the same program crops the blank
# bottom off.
set -eu

cd "$(dirname "$0")/.."
summary=${1:-internal/report/testdata/markdown/blockers.md}
out=${2:-docs/job-summary.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go run docs/render-summary.go html "$summary" "$work/summary.html"

# The flags keep chromium off the network (this machine's is closed) and out of the home directory.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --force-device-scale-factor=1 \
	--user-data-dir="$work/profile" --window-size=1280,4000 \
	--screenshot="$work/shot.png" "file://$work/summary.html" 2>"$work/chromium.log" ||
	{ cat "$work/chromium.log" >&2; exit 1; }

go run docs/render-summary.go crop "$work/shot.png"
cp "$work/shot.png" "$out"
echo "wrote $out"
