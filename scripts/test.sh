#!/usr/bin/env bash
# The whole test suite: storage stories on SQLite and PostgreSQL, API, console, cluster,
# CLI, the browser test in chromium and the WeChat conformance harness (wechatpy).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# wechatpy plays WeChat against a real `siyu serve` (plain, compatible and safe mode).
bash scripts/conformance.sh
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
