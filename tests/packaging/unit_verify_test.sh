#!/bin/sh
# The systemd unit: `systemd-analyze verify` finds nothing to say about it, and it keeps the
# service contract (notify with a watchdog, restart on failure, the hardening).
# Usage: unit_verify_test.sh UNIT BINARY_DIR
set -eu
unit=$1
binary_dir=$2

fail() { echo "FAIL: $*" >&2; exit 1; }

for key in Type=notify WatchdogSec= Restart=on-failure NoNewPrivileges=yes \
           ProtectSystem=strict ReadWritePaths=/var/lib/vigie PrivateTmp=yes ProtectHome=yes \
           MemoryDenyWriteExecute=yes User=vigie StandardError=journal; do
  grep -q "^$key" "$unit" || fail "$unit has no line starting with $key"
done
grep -qx 'CapabilityBoundingSet=' "$unit" || fail "$unit: CapabilityBoundingSet= is not empty"

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: systemd-analyze not found (apt-get install systemd)"
  exit 77
fi
# verify checks that ExecStart's program exists: point it at the binary just built.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#^ExecStart=[^ ]*/vigie #ExecStart=$binary_dir/vigie #" "$unit" >"$work/vigie.service"
# It exits 0 on unknown keys and bad values, only warning: any output is a failure too.
if ! systemd-analyze verify --man=no "$work/vigie.service" >"$work/out" 2>&1; then
  cat "$work/out" >&2
  fail "systemd-analyze verify failed"
fi
if [ -s "$work/out" ]; then
  cat "$work/out" >&2
  fail "systemd-analyze verify warned"
fi
echo "systemd-analyze verify: $unit is clean"
