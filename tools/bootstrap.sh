#!/usr/bin/env bash
# Run before the tests (npm's pretest) and the lab: installs the npm packages when the lockfile
# changed since the last install, then the Debian packages and Go-built binaries, then the native
# addon (rebuilt only when its sources or the Node version changed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.metallb-ts-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[bootstrap] installing npm packages" >&2
  # npm 11 can write a lockfile that its own `npm ci` calls out of sync (optional packages of
  # other platforms are not recorded); `npm install` then installs the same locked versions.
  npm ci --no-audit --no-fund --loglevel=silent 2>/dev/null ||
    npm install --no-audit --no-fund --loglevel=error ||
    { echo "[bootstrap] FAILED: npm install; fix: check that the npm registry is reachable" >&2; exit 1; }
  echo "$want" >"$stamp"
else
  echo "[bootstrap] npm packages present" >&2
fi
bash tools/provision.sh >/dev/null
bash tools/build-native.sh
