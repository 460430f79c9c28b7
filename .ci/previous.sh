#!/usr/bin/env bash
# The previous version's binary, for the rolling-upgrade test
# (tests/process/upgrade.rs): built from the commit just before the newest
# migration was added, i.e. the last version that did not know today's schema.
# Kept outside the clone, one binary per commit, so a run after the first
# builds nothing until a new migration lands. Prints
# `export HOOKWIRE_PREVIOUS_BINARY=…` (or, when the clone lacks that history,
# `export HOOKWIRE_PREVIOUS_UNAVAILABLE=<why>`; the test then says so loudly).
set -euo pipefail
cd "$(dirname "$0")/.."

unavailable() {
  echo "== previous version unavailable: $1" >&2
  echo "export HOOKWIRE_PREVIOUS_UNAVAILABLE='$1'"
  exit 0
}

migrations=crates/hookwire/migrations
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  git fetch --quiet --unshallow >&2 || unavailable "a shallow clone without the history"
fi
newest=$(git log -1 --format=%H --diff-filter=A -- "$migrations")
previous=$(git rev-parse --verify --quiet "$newest^") ||
  unavailable "no commit before $newest"

cache="${HOOKWIRE_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookwire-ci}/previous"
bin="$cache/hookwire-$previous"
if [ ! -x "$bin" ]; then
  echo "== building the previous version ($previous) for the upgrade test" >&2
  src="$cache/src-$previous"
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$previous" | tar -x -C "$src"
  # Its own target directory: the clone's build must never pick up this binary.
  # Unoptimised and without debug info: it only has to behave, and builds faster.
  CARGO_TARGET_DIR="$cache/target" cargo build --locked --quiet \
    --config 'profile.dev.package."*".opt-level=0' --config profile.dev.debug=0 \
    --manifest-path "$src/Cargo.toml" -p hookwire-server --bin hookwire >&2
  cp "$cache/target/debug/hookwire" "$bin.tmp"
  mv "$bin.tmp" "$bin"
  rm -rf "$src"
fi
echo "export HOOKWIRE_PREVIOUS_BINARY='$bin' HOOKWIRE_PREVIOUS_COMMIT=$previous"
