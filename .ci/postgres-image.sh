#!/usr/bin/env bash
# The compose file's PostgreSQL image on a machine that cannot pull images:
# a stand-in for postgres:16-bookworm made from Debian bookworm's PostgreSQL 15
# (debootstrap), with an entrypoint that honours POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB and the data directory of the official
# image. Kept between runs: skipped when an image of that name exists (a real
# one included).
set -euo pipefail
name="${1:-postgres:16-bookworm}"
if docker image inspect "$name" >/dev/null 2>&1; then
  echo "== $name exists"
  exit 0
fi
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
echo "== debootstrap bookworm (minbase) + postgresql-15 into $root"
debootstrap --variant=minbase --include=postgresql-15 bookworm "$root" \
  http://deb.debian.org/debian >/dev/null
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOS'
#!/bin/bash
set -e
PGDATA=/var/lib/postgresql/data
bin=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "$POSTGRES_PASSWORD" >/tmp/pw
  chown postgres /tmp/pw
  su postgres -c "$bin/initdb -D $PGDATA -U $POSTGRES_USER --pwfile=/tmp/pw \
    --auth-host=scram-sha-256 --auth-local=trust" >/dev/null
  rm /tmp/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  su postgres -c "$bin/pg_ctl -D $PGDATA -w start -o '-c listen_addresses=127.0.0.1'" >/dev/null
  su postgres -c "$bin/psql -U $POSTGRES_USER -d postgres -c 'CREATE DATABASE \"$POSTGRES_DB\"'" >/dev/null
  su postgres -c "$bin/pg_ctl -D $PGDATA -w stop" >/dev/null
fi
exec su postgres -c "$bin/postgres -D $PGDATA -c listen_addresses='*'"
EOS
chmod +x "$root/usr/local/bin/docker-entrypoint.sh"
echo "== docker import $name"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
  - "$name" >/dev/null
