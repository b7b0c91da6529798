# A throwaway PostgreSQL server for the tests; sourced by .ci/run (bash, run as root).
#
#   . .ci/postgres.sh
#   postgres_install          # Debian's packages, when not installed yet
#   postgres_start            # cluster in a temp dir, 127.0.0.1 and a free port, a user and a
#                             # database; exports SYNC_SDK_TEST_POSTGRES_URL
#   trap postgres_stop EXIT   # stops the server and removes the cluster
#
# The server refuses to run as root, so the cluster belongs to the "postgres" user that the
# packages create; the superuser only connects through the cluster's own Unix socket (peer
# authentication), the test user over TCP with a random password (scram-sha-256).

postgres_install() {
    if dpkg-query -W -f='${Status}\n' postgresql 2>/dev/null | grep -q ' installed$'; then
        echo "postgresql: already installed"
    else
        echo "postgresql: apt-get update && apt-get install -y postgresql"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq postgresql >/dev/null
    fi
    PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "postgresql: no server binaries under /usr/lib/postgresql" >&2
        return 1
    fi
    "$PG_BIN/postgres" --version
}

_as_postgres() {
    runuser -u postgres -- "$@"
}

postgres_start() {
    PG_DIR=$(mktemp -d /tmp/sync_sdk_pg.XXXXXX)
    chown postgres:postgres "$PG_DIR"
    _as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth-local=peer \
        --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_DIR -c max_connections=200" \
        start >/dev/null || {
        cat "$PG_DIR/server.log" >&2
        return 1
    }
    PG_STARTED=1
    local password
    password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    _as_postgres "$PG_BIN/psql" -h "$PG_DIR" -p "$port" -d postgres -X -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE sync_sdk LOGIN PASSWORD '$password'" \
        -c "CREATE DATABASE sync_sdk OWNER sync_sdk"
    export SYNC_SDK_TEST_POSTGRES_URL="postgresql://sync_sdk:$password@127.0.0.1:$port/sync_sdk"
    echo "PostgreSQL on 127.0.0.1:$port: database sync_sdk, user sync_sdk (password not shown)"
    echo "SYNC_SDK_TEST_POSTGRES_URL=postgresql://sync_sdk:***@127.0.0.1:$port/sync_sdk"
}

postgres_stop() {
    if [ "${PG_STARTED:-0}" = 1 ]; then
        _as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null ||
            echo "postgresql: could not stop the server in $PG_DIR" >&2
        PG_STARTED=0
    fi
    if [ -n "${PG_DIR:-}" ]; then
        rm -rf "$PG_DIR"
    fi
}
