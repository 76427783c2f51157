#!/usr/bin/env bash
# Runs a command with a private, throw-away redis-server on a loopback port, its URL in
# CEP_TEST_REDIS_URL; the server is stopped afterwards, whatever the command's exit status.
# Usage: scripts/with-redis.sh COMMAND [ARGS...]   (port: REDIS_TEST_PORT, default 6391)
set -euo pipefail

port="${REDIS_TEST_PORT:-6391}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/cep-test-redis.XXXXXX")"

stop() {
  if [[ -f "$dir/redis.pid" ]]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [[ -f "$dir/redis.pid" ]] || break; sleep 0.1; done
  fi
  rm -rf "$dir"
}
trap stop EXIT

# No persistence: the tests' data lives and dies with this run.
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
  --daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log"
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "redis-server did not start on 127.0.0.1:$port:" >&2
  cat "$dir/redis.log" >&2 || true
  exit 1
fi

export CEP_TEST_REDIS_URL="redis://127.0.0.1:$port/"
"$@"
