#!/usr/bin/env bash
# Make the Dockerfile's build-stage base on a machine that cannot pull images:
# Debian bookworm from Debian's packages (debootstrap, minbase, plus the C
# toolchain the Rust linker and jemalloc's build need, and CA certificates) with this machine's
# Rust toolchain and CA bundle copied in, imported under the name given (default
# hookwire-ci/rust:bookworm). The Dockerfile is built unchanged with
# --build-arg RUST_IMAGE=<that name>. Kept between runs: skipped when the image
# exists.
set -euo pipefail
name="${1:-hookwire-ci/rust:bookworm}"
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "== $name exists"
  exit 0
fi
command -v debootstrap >/dev/null || {
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
echo "== debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase --include=gcc,libc6-dev,make,ca-certificates \
  bookworm "$root" http://deb.debian.org/debian >/dev/null
# This machine's trust store, which may hold a CA its network needs (cargo
# fetches crates during the build).
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
sysroot="$(rustc --print sysroot)"
echo "== copying the Rust toolchain from $sysroot"
mkdir -p "$root/usr/local/rust"
cp -a "$sysroot/bin" "$sysroot/lib" "$root/usr/local/rust/"
echo "== docker import $name"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/rust/bin:/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV CARGO_HOME=/usr/local/cargo' \
  - "$name" >/dev/null
