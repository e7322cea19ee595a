#!/usr/bin/env bash
# Run before the tests (npm's pretest) and the lab: installs the npm packages when the lockfile
# changed since the last install, then the Debian packages and Go-built binaries.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.metallb-ts-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error ||
    { echo "[bootstrap] FAILED: npm ci; fix: check that the npm registry is reachable" >&2; exit 1; }
  echo "$want" >"$stamp"
else
  echo "[bootstrap] npm packages present" >&2
fi
bash tools/provision.sh >/dev/null
