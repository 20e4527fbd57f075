#!/usr/bin/env bash
# Plays WeChat against a real `siyu serve` with the wechatpy-based harness in
# ../shared/tools/wechat-conformance: URL verification, every message and event type in plain,
# compatible and safe mode, forged signatures, foreign AppIDs and retries. Exits non-zero on any FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
harness=../shared/tools/wechat-conformance
if [ ! -f "$harness/wxharness.py" ]; then
  echo "conformance: $harness not found" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q -r "$harness/requirements.txt"
fi
cargo build -q -p siyu
bin=target/debug/siyu
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export SIYU_DATA_DIR="$work/data" SIYU_LISTEN="127.0.0.1:$port" RUST_LOG=warn
unset SIYU_DATABASE_URL
$bin migrate >/dev/null
key=$($bin admin tenant create --name "Conformance 一致性" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
$bin serve >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

status=0
for mode in compatible safe plain; do
  .venv/bin/python "$harness/wxharness.py" gen --out "$work/$mode.json"
  body=$(python3 - "$work/$mode.json" "$mode" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print(json.dumps({"app_id": c["appid"], "app_secret": "0123456789abcdef0123456789abcdef", "token": c["token"],
                  "encoding_aes_key": c["encoding_aes_key"], "mode": sys.argv[2], "welcome_text": "欢迎关注 👋"}))
PY
)
  path=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/wechat/accounts" -H "authorization: Bearer $key" \
    -H 'content-type: application/json' -d "$body" | python3 -c 'import json,sys; print(json.load(sys.stdin)["callback_path"])')
  case $mode in compatible) hmode=all ;; safe) hmode=safe ;; plain) hmode=plain ;; esac
  echo "conformance: $mode account, harness mode $hmode"
  .venv/bin/python "$harness/wxharness.py" run "http://127.0.0.1:$port$path" --config "$work/$mode.json" --mode "$hmode" || status=1
done
exit $status
