#!/usr/bin/env bash
# The deployment files, really used: start dockerd, build the image from the
# repository's Dockerfile (its build base made from Debian packages, see
# rust-image.sh), check the compose file and run README's walk-through with
# it (compose-walkthrough.sh), render and validate the Kubernetes
# manifests, verify the systemd unit. Prints `export HOOKWIRE_TEST_IMAGE=…` for
# the container test (tests/process/container.rs) to run against.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v docker >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  echo "== installing ${need[*]}" >&2
  apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
if ! docker info >/dev/null 2>&1; then
  echo "== starting dockerd" >&2
  (dockerd >"${TMPDIR:-/tmp}/hookwire-ci-dockerd.log" 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null
fi

base=hookwire-ci/rust:bookworm
bash .ci/rust-image.sh "$base" >&2
echo "== docker build (the repository's Dockerfile, RUST_IMAGE=$base)" >&2
docker build --force-rm --network host --build-arg "RUST_IMAGE=$base" -t hookwire:ci . >&2
# Tag the build stage too (all cached): its layers, the compiled dependencies
# above all, are the next run's cache, and an untagged chain is what prune
# removes. Older runs' chains go, so the disk does not fill up.
docker build --force-rm --network host --build-arg "RUST_IMAGE=$base" --target build \
  -t hookwire-ci/build:latest . >/dev/null
docker image prune -f >/dev/null 2>&1 || true

echo "== deploy/compose.yaml" >&2
HOOKWIRE_ADMIN_TOKEN=ci-admin-token-0123456789 docker-compose -f deploy/compose.yaml config -q >&2
bash .ci/compose-walkthrough.sh "$base" >&2

echo "== deploy/k8s: kubectl kustomize + kubernetes-validate" >&2
python3 -c 'import kubernetes_validate' 2>/dev/null \
  || python3 -m pip install --quiet kubernetes-validate >&2
rendered="$(mktemp)"
for dir in deploy/k8s/base deploy/k8s/overlays/split; do
  kubectl kustomize "$dir" >"$rendered"
  kubernetes-validate --strict --quiet "$rendered" >&2
done
rm -f "$rendered"

if command -v systemd-analyze >/dev/null; then
  echo "== deploy/systemd/hookwire.service" >&2
  unit="$(mktemp -d)/hookwire.service"
  # The unit as installed, with a binary that exists here.
  sed "s|/usr/local/bin/hookwire|$(command -v true)|" deploy/systemd/hookwire.service >"$unit"
  systemd-analyze verify "$unit" >&2
fi

echo "export HOOKWIRE_TEST_IMAGE=hookwire:ci"
