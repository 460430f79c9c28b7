#!/usr/bin/env bash
# README's compose walk-through, run as written: the code block after
# "**Compose**" (`docker compose` read as `docker-compose` where the plugin is
# missing), from `up --build` to the receiver's "✓ verified" line; then
# everything is removed. Needs the images the compose file names: hookwire's
# build base as rust:1-bookworm (tagged from the CI base) and PostgreSQL
# (postgres-image.sh). Uses the host's ports 8080 and 8081, like a user would.
set -euo pipefail
cd "$(dirname "$0")/.."
base="$1"
docker image inspect rust:1-bookworm >/dev/null 2>&1 || docker tag "$base" rust:1-bookworm
bash .ci/postgres-image.sh postgres:16-bookworm
steps="$(mktemp)"
python3 - "$steps" <<'PY'
import sys
text = open("README.md").read()
start = text.index("```sh", text.index("**Compose**")) + len("```sh")
block = text[start:text.index("```", start)]
if "compose" not in block:
    sys.exit("README: no compose block after **Compose**")
open(sys.argv[1], "w").write(block)
PY
if ! docker compose version >/dev/null 2>&1; then
  sed -i 's/docker compose /docker-compose /g' "$steps"
fi
compose() {
  HOOKWIRE_ADMIN_TOKEN="${HOOKWIRE_ADMIN_TOKEN:-ci-admin-token-0123456789}" \
    docker-compose -p hookwire-walkthrough -f deploy/compose.yaml "$@"
}
trap 'compose down -v >/dev/null 2>&1 || true; rm -f "$steps"' EXIT
export COMPOSE_PROJECT_NAME=hookwire-walkthrough
# Each line as a user pastes it, in one shell (the block exports variables).
out="$(env -u HOOKWIRE_ADMIN_TOKEN bash -e "$steps" 2>&1)" || {
  echo "$out" >&2
  echo "README's compose walk-through failed" >&2
  exit 1
}
for _ in $(seq 1 30); do
  if compose logs receiver 2>/dev/null | grep -q "signature: ✓ verified"; then
    echo "== compose walk-through: a signed delivery verified by the receiver" >&2
    exit 0
  fi
  sleep 1
done
compose logs >&2 || true
echo "README's compose walk-through: no verified delivery in the receiver's log" >&2
exit 1
