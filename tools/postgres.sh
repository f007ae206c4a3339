#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server on loopback for the tests and benchmarks: what tools/test.sh
# (and so .ci/run) starts before `swift test` and stops after it.
#
#   tools/postgres.sh start DIR [PORT]   installs Debian's postgresql if missing, makes a cluster
#                                        in DIR (initdb, run as the postgres user when root:
#                                        initdb refuses root), starts it on 127.0.0.1:PORT
#                                        (default 55432) with password logins only, makes the
#                                        role and database `kith`, and prints the URL to use
#                                        (KITH_TEST_POSTGRES_URL)
#   tools/postgres.sh stop DIR           stops that server (DIR is kept; remove it yourself)
#
# The role's password is random, made at start and kept in DIR/kith.password (owner-only).
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?"usage: tools/postgres.sh start|stop DIR [PORT]"}
dir=${2:?"usage: tools/postgres.sh start|stop DIR [PORT]"}
port=${3:-55432}
bin=/usr/lib/postgresql/15/bin
as_postgres=()
[ "$(id -u)" -eq 0 ] && as_postgres=(runuser -u postgres --)

case "$command" in
start)
    tools/need-packages.sh postgresql >&2
    [ -x "$bin/initdb" ] || { echo "tools/postgres.sh: $bin/initdb is missing (PostgreSQL 15 expected)" >&2; exit 2; }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if ! "${as_postgres[@]}" test -w "$dir"; then
        echo "tools/postgres.sh: the postgres user cannot write $dir (is a folder above it closed to others?)" >&2
        exit 2
    fi
    if [ ! -f "$dir/cluster/PG_VERSION" ]; then
        superuser=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        printf '%s\n' "$superuser" > "$dir/superuser.password"
        chmod 600 "$dir/superuser.password"
        [ "$(id -u)" -eq 0 ] && chown postgres "$dir/superuser.password"
        # Password (SCRAM) logins over TCP; the socket, in DIR only, trusts the cluster's owner.
        "${as_postgres[@]}" "$bin/initdb" -D "$dir/cluster" -U postgres --auth-host=scram-sha-256 \
            --auth-local=trust --pwfile="$dir/superuser.password" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 2; }
    fi
    # The server outlives this script: it must not keep open what the caller gave the script
    # (a pipe its caller reads to the end, or watches to learn that the script has exited).
    "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/cluster" status >/dev/null 2>&1 \
        || (
            for fd in /proc/$BASHPID/fd/*; do
                fd=${fd##*/}
                if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
            done
            exec "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/server.log" \
                -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=on" -w start \
                </dev/null >/dev/null 2>"$dir/pg_ctl.log"
        ) || { cat "$dir/pg_ctl.log" >&2; tail -20 "$dir/server.log" >&2; exit 2; }
    password_file="$dir/kith.password"
    if [ ! -f "$password_file" ]; then
        head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file"
        chmod 600 "$password_file"
        password=$(cat "$password_file")
        "${as_postgres[@]}" psql -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
            -c "CREATE ROLE kith LOGIN PASSWORD '$password'" -c "CREATE DATABASE kith OWNER kith" >&2
    fi
    echo "postgres://kith:$(cat "$password_file")@127.0.0.1:$port/kith"
    ;;
stop)
    [ -f "$dir/cluster/postmaster.pid" ] || exit 0
    "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/cluster" -m fast -w stop >&2
    ;;
*)
    echo "usage: tools/postgres.sh start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
