#!/bin/sh
# Entry point of the local play's PostgreSQL pod: the server as the postgres user (PostgreSQL refuses root), data in
# /var/lib/dfmigrate-pg (a volume), listening on 127.0.0.1:$PG_PORT (host network) with trust authentication for the
# local user dfm, database dfmigrate created on first start. Ends the server cleanly on SIGTERM.
set -eu
: "${PG_PORT:=15432}"
DATA=/var/lib/dfmigrate-pg/data
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$DATA"
chown -R postgres:postgres /var/lib/dfmigrate-pg
chmod 700 "$DATA"
[ -f "$DATA/PG_VERSION" ] || as_pg "$BIN/initdb" -D "$DATA" -U dfm --auth=trust -E UTF8 --no-locale >/dev/null
as_pg "$BIN/postgres" -D "$DATA" -p "$PG_PORT" -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp &
pid=$!
trap 'kill -INT "$pid"; wait "$pid"; exit 0' TERM INT  # fast shutdown: ends sessions, no waiting for clients
until as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U dfm -d postgres; do sleep 0.5; done
as_pg "$BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U dfm -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'dfmigrate'" | grep -q 1 \
  || as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U dfm dfmigrate
echo "dfm-postgres: ready on 127.0.0.1:$PG_PORT"
wait "$pid"
