#!/usr/bin/env bash
# The whole pytest suite on SQLite, then again on PostgreSQL when
# REWARDSHUB_TEST_POSTGRES_URL is set. Fails if a pass fails or runs no test.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WORKERS="${REWARDSHUB_TEST_WORKERS:-2}"

run_pass() {
  local name="$1"
  echo
  echo "=== pytest on ${name} ==="
  "$BIN/python" -m pytest -n "$WORKERS" -p no:cacheprovider "${@:2}"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "FAIL: the ${name} pass ran no tests." >&2
    return 1
  fi
  return "$rc"
}

unset DATABASE_URL
run_pass "SQLite" "$@" || exit 1

if [ -n "${REWARDSHUB_TEST_POSTGRES_URL:-}" ]; then
  DATABASE_URL="$REWARDSHUB_TEST_POSTGRES_URL" run_pass "PostgreSQL" "$@" || exit 1
else
  echo
  echo "NOTE: the PostgreSQL pass was SKIPPED because REWARDSHUB_TEST_POSTGRES_URL is not set."
  echo "      Set it (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL too."
fi
