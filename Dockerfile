# hookwire's container image:  docker build -t hookwire .
#
# Two stages. The build stage compiles the `hookwire` binary from Cargo.lock
# (--locked) in the official Rust image; its dependencies are built in a layer
# of their own first, so a change to hookwire's source rebuilds only hookwire.
# The runtime stage is nothing but that binary, the few shared libraries it
# links (glibc; TLS is rustls, so no OpenSSL), CA certificates and a non-root
# user: about 30 MB, no shell, no package manager.
#
# Runs `hookwire serve` on 0.0.0.0:8080 with an embedded SQLite database in
# the /data volume; configure it with HOOKWIRE_* environment variables (e.g.
# HOOKWIRE_DATABASE_URL=postgres://…) and optionally a config file mounted at
# /etc/hookwire/hookwire.toml (with HOOKWIRE_CONFIG=/etc/hookwire/hookwire.toml).
# Every subcommand runs the same way:
#   docker run --rm hookwire hookwire migrate
#
# RUST_IMAGE names the build stage's base; machines that cannot pull it build
# one of their own and pass its name (see .ci/rust-image.sh).
ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS build
WORKDIR /src
ENV CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_PROFILE_RELEASE_STRIP=symbols \
    CARGO_TERM_COLOR=never
# Dependencies: the manifests with empty sources, built once and cached.
COPY Cargo.toml Cargo.lock ./
COPY crates/hookwire/Cargo.toml crates/hookwire/build.rs crates/hookwire/
COPY crates/hookwire-server/Cargo.toml crates/hookwire-server/
RUN mkdir -p crates/hookwire/src crates/hookwire/examples crates/hookwire/benches \
             crates/hookwire-server/src \
 && touch crates/hookwire/src/lib.rs crates/hookwire-server/src/lib.rs \
 && for f in crates/hookwire-server/src/main.rs crates/hookwire/examples/embedded.rs \
             crates/hookwire/benches/stats.rs crates/hookwire/benches/send_slots.rs; do \
      echo 'fn main() {}' > "$f"; done \
 && cargo build --release --locked -p hookwire-server --bin hookwire \
 && rm -rf crates
# hookwire itself (sources touched so cargo does not take the stubs' build
# for theirs).
COPY crates crates
RUN find crates -name '*.rs' -exec touch {} + \
 && cargo build --release --locked -p hookwire-server --bin hookwire
# The runtime root: the binary, its shared libraries, CA certificates, a user.
RUN mkdir -p /rootfs/usr/local/bin /rootfs/etc/ssl/certs /rootfs/etc/hookwire /rootfs/data /rootfs/tmp \
 && cp target/release/hookwire /rootfs/usr/local/bin/hookwire \
 && ldd target/release/hookwire | grep -o '/[^ ]*' | xargs -I{} cp -L --parents {} /rootfs \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && echo 'hookwire:x:10001:10001:hookwire:/data:/nonexistent' > /rootfs/etc/passwd \
 && echo 'hookwire:x:10001:' > /rootfs/etc/group \
 && chown 10001:10001 /rootfs/data && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs /
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    HOOKWIRE_LISTEN=0.0.0.0:8080 \
    HOOKWIRE_DATABASE_URL=sqlite:///data/hookwire.db \
    HOOKWIRE_LOG_FORMAT=json
USER 10001:10001
WORKDIR /data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["hookwire", "healthcheck"]
CMD ["hookwire", "serve"]
