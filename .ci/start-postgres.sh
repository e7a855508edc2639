#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the state-store tests, idempotently.
#
#   eval "$(bash .ci/start-postgres.sh | tail -1)"
#
# The last line of stdout is `export SYNCD_TEST_POSTGRES_URL=...`. When PostgreSQL cannot be
# installed or started, the script says why on stderr, prints no export line and still exits 0,
# so the PostgreSQL tests skip instead of failing. The cluster lives in $SYNCD_PG_DIR
# (default /tmp/syncd-pg), listens on 127.0.0.1 only, on a free port, with trust auth.
set -uo pipefail

PG_DIR="${SYNCD_PG_DIR:-/tmp/syncd-pg}"
DATA="$PG_DIR/data"
ROLE=syncd
DB=syncd_test

skip() {
    echo "start-postgres: $*; the PostgreSQL tests will be skipped" >&2
    exit 0
}

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
    elif command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/pg_ctl" ]]; then
        pg_config --bindir
    fi
}

install_postgres() {
    [[ $(id -u) -eq 0 ]] || skip "PostgreSQL is not installed and we are not root"
    command -v apt-get >/dev/null || skip "PostgreSQL is not installed and there is no apt-get"
    echo "start-postgres: installing PostgreSQL from the Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq postgresql; } >&2 ||
        skip "apt-get could not install postgresql"
}

# Run a command as the cluster's owner: `postgres` when we are root (initdb refuses root).
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local port
    for port in $(seq 54329 54429); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

BIN=$(find_bindir)
if [[ -z "$BIN" ]]; then
    install_postgres
    BIN=$(find_bindir)
    [[ -n "$BIN" ]] || skip "no PostgreSQL binaries found after installing"
fi
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    skip "there is no 'postgres' user to own the cluster"
fi

mkdir -p "$PG_DIR" || skip "cannot create $PG_DIR"
[[ $(id -u) -eq 0 ]] && chown postgres: "$PG_DIR"

if [[ ! -f "$DATA/PG_VERSION" ]]; then
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C \
        >"$PG_DIR/initdb.log" 2>&1 || skip "initdb failed (see $PG_DIR/initdb.log)"
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    PORT=$(free_port)
    [[ -n "$PORT" ]] || skip "no free port between 54329 and 54429"
    echo "$PORT" >"$PG_DIR/port"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start >&2 ||
        skip "the server did not start (see $PG_DIR/server.log)"
fi
PORT=$(cat "$PG_DIR/port" 2>/dev/null) || skip "the server runs but $PG_DIR/port is missing"

psql_admin() {
    "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tA "$@"
}

if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]]; then
    psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB" >&2 || skip "cannot create role $ROLE"
fi
if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
    psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2 || skip "cannot create database $DB"
fi

echo "start-postgres: PostgreSQL ready on 127.0.0.1:$PORT ($DATA)" >&2
echo "export SYNCD_TEST_POSTGRES_URL=postgresql://$ROLE@127.0.0.1:$PORT/$DB"
