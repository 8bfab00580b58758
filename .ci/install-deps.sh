#!/usr/bin/env bash
# Installs the Debian packages the integration tests (it/) need. Idempotent and quiet:
# it runs `apt-get update` and `apt-get install` only when a package is missing, so a
# second run on a prepared machine touches no network at all.
#
#   libiscsi-bin  iscsi-test-cu (SCSI/iSCSI conformance), iscsi-inq, iscsi-ls,
#                 iscsi-readcapacity16, iscsi-perf
#   libiscsi-dev  headers + library to build it/src/test/c/iscsi-pattern.c (data round trip)
#   gcc           compiles that helper
#   tgt           tgtd/tgtadm: the stock Linux target the tests compare against
#
# Extra packages can be appended by other scripts: install-deps.sh pkg1 pkg2 ...
set -euo pipefail

packages=(libiscsi-bin libiscsi-dev gcc tgt "$@")

missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints "install ok installed" only for a fully installed package.
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { $SUDO apt-get update -qq && \
       $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  echo "install-deps: apt-get failed for: ${missing[*]}" >&2
  cat "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
