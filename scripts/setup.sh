#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain, idempotently:
# Debian's chromium and CJK fonts (browser test), playwright-core (drives chromium)
# and a reachable PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "setup: installing playwright-core (no browser download; Debian's chromium is used)"
  (cd tests/browser && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

# PostgreSQL must be reachable: its story tests are failures, not skips, without it.
pg="${SIYU_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/}"
if ! psql "${pg%/}/postgres" -Atc 'select 1' >/dev/null 2>&1; then
  echo "setup: PostgreSQL at $pg is not reachable; trying to start the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
  sleep 2
  psql "${pg%/}/postgres" -Atc 'select 1' >/dev/null || { echo "setup: PostgreSQL is required for the tests" >&2; exit 1; }
fi
# Databases left behind by an interrupted run.
psql "${pg%/}/postgres" -Atc "select datname from pg_database where datname like 'siyu_t\_%'" 2>/dev/null |
  while read -r db; do psql "${pg%/}/postgres" -qc "drop database if exists \"$db\" with (force)" >/dev/null 2>&1 || true; done
echo "setup: ok"
