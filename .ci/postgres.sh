#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that need one.
#
#   eval "$(.ci/postgres.sh start)"   # prints `export SEAMREC_PG_DSN=...; export SEAMREC_PG_DIR=...`
#   .ci/postgres.sh stop              # stops the server of $SEAMREC_PG_DIR and deletes it
#
# The cluster lives in a fresh temp dir, listens on a Unix socket in that dir only (no TCP
# port, so parallel runs never collide) and trusts local connections. initdb refuses to
# run as root, so as root the server runs as the `postgres` user (Debian's package
# creates it). Installs Debian's `postgresql` package when no server is found.
set -euo pipefail

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {
    if [ "$(id -u)" = "0" ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin dir
    bin="$(find_bin)"
    if [ -z "$bin" ]; then
        local sudo=""
        if [ "$(id -u)" != "0" ]; then
            if ! command -v sudo >/dev/null; then
                echo "postgres.sh: no PostgreSQL server found; install Debian's postgresql package" >&2
                exit 1
            fi
            sudo="sudo"
        fi
        $sudo apt-get update >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
        bin="$(find_bin)"
    fi
    dir="$(mktemp -d /tmp/seamrec-pg.XXXXXX)"
    if [ "$(id -u)" = "0" ]; then
        chown postgres: "$dir"
    fi
    as_owner "$bin/initdb" --pgdata="$dir/data" --auth=trust --username=postgres \
        --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait \
        --options="-c listen_addresses='' -k $dir -c fsync=off -p 5432" start >&2 || {
        cat "$dir/server.log" >&2
        exit 1
    }
    as_owner "$bin/createdb" --host="$dir" --port=5432 --username=postgres seamrec >&2
    echo "export SEAMREC_PG_DIR='$dir'"
    echo "export SEAMREC_PG_DSN='host=$dir port=5432 user=postgres dbname=seamrec'"
}

stop() {
    local dir="${SEAMREC_PG_DIR:-}" bin
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        return 0
    fi
    bin="$(find_bin)"
    as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
