#!/usr/bin/env bash
# Runs every test: unit tests of all modules, then integration tests in it/.
set -euo pipefail
cd "$(dirname "$0")"
exec mvn -B -ntp verify "$@"
