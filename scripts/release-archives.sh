#!/usr/bin/env bash
# Builds sseguard's release archives: the binary for each platform, stamped with the version and
# commit (`sseguard version` prints them), packed as sseguard_X.Y.Z_OS_ARCH.tar.gz (.zip for
# Windows) with the README, and a sseguard_X.Y.Z_checksums.txt (sha256sum format) over them. The
# release workflow runs it and attests the build provenance of every archive; anyone can run it to
# check a release: the archives are reproducible (same source, same Go version: same bytes).
#
# Usage: scripts/release-archives.sh VERSION OUTDIR [GOOS/GOARCH ...]
#   VERSION  v1.2.3 or v1.2.3-rc.1
#   OUTDIR   where the archives and the checksums go (created; must hold no archives yet)
#   targets  default: linux, darwin and windows on amd64 and arm64
# The commit stamped is $GITHUB_SHA when set, else the checkout's HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
  echo "usage: $0 VERSION OUTDIR [GOOS/GOARCH ...]" >&2
  exit 2
fi
version=$1 out=$2
shift 2
if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "$0: $version is not a version (v1.2.3 or v1.2.3-rc.1)" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
fi
commit=${GITHUB_SHA:-$(git rev-parse HEAD)}
if ! [[ "$commit" =~ ^[0-9a-f]{40}$ ]]; then
  echo "$0: commit $commit is not a full SHA" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if compgen -G "$out/sseguard_*" >/dev/null; then
  echo "$0: $out already holds archives; give an empty directory" >&2
  exit 2
fi

pkg=github.com/sseguard/sseguard/internal/version
ldflags="-s -w -buildid= -X $pkg.stamped=$version -X $pkg.stampedCommit=$commit"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# One timestamp for every file in every archive: the commit's, so that the archives are
# reproducible.
epoch=$(git log -1 --format=%ct "$commit" 2>/dev/null || echo 0)

for t in "${targets[@]}"; do
  goos=${t%/*} goarch=${t#*/}
  case "$goos/$goarch" in
    linux/amd64 | linux/arm64 | darwin/amd64 | darwin/arm64 | windows/amd64 | windows/arm64) ;;
    *) echo "$0: $t is not a release platform" >&2; exit 2 ;;
  esac
  name="sseguard_${version#v}_${goos}_${goarch}"
  exe=sseguard
  [ "$goos" = windows ] && exe=sseguard.exe
  mkdir -p "$stage/$name"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=false -ldflags "$ldflags" \
    -o "$stage/$name/$exe" .
  cp README.md "$stage/$name/"
  touch -d "@$epoch" "$stage/$name" "$stage/$name"/*
  if [ "$goos" = windows ]; then
    (cd "$stage" && find "$name" | LC_ALL=C sort | TZ=UTC zip -q -X "$out/$name.zip" -@)
  else
    tar -C "$stage" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - "$name" |
      gzip -n -9 > "$out/$name.tar.gz"
  fi
  echo "built $name"
done
shopt -s nullglob
cd "$out"
archives=(sseguard_*.tar.gz sseguard_*.zip)
sha256sum "${archives[@]}" > "sseguard_${version#v}_checksums.txt"
echo "checksums in $out/sseguard_${version#v}_checksums.txt"
