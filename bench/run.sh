#!/bin/sh
# Rerunnable benchmark: sseguard vs `aws s3 cp --recursive` re-encrypting existing objects, against
# moto_server behind a latency proxy. Run from anywhere; settings via BENCH_* variables (see
# bench/README.md). Quick run: BENCH_OBJECTS=300 bench/run.sh
set -eu
cd "$(dirname "$0")/.."
exec go run ./bench "$@"
