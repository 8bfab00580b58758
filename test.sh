#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the Debian packages the integration tests need
# (libiscsi tools, tgtd, qemu guest parts; each script is idempotent and does nothing when all is
# installed), then unit tests of all modules and the integration tests in it/.
set -euo pipefail
cd "$(dirname "$0")"
for script in .ci/install-deps.sh .ci/install-kernel-deps.sh; do
  if [ -x "$script" ]; then
    "$script"
  fi
done
exec mvn -B -ntp verify "$@"
