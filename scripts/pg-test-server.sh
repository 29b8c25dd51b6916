#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for tests and prints its URL.
#
#   scripts/pg-test-server.sh DIR [WATCH_PID]
#
# DIR receives the cluster, the socket and the log. The server listens on
# 127.0.0.1 on a free port with trust authentication (tests only!). If
# WATCH_PID is given, the server is stopped and DIR removed once that process
# exits, so a test binary that started it never leaves it behind.
# PostgreSQL refuses to run as root: as root, the server runs as the
# `postgres` system user (created by Debian's postgresql package).
set -euo pipefail
dir=${1:?usage: pg-test-server.sh DIR [WATCH_PID]}
watch=${2:-}

bindir=""
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(command -v initdb)")
else
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir=$d; done
fi
[ -n "$bindir" ] || { echo "pg-test-server: initdb not found (install PostgreSQL, e.g. apt-get install postgresql)" >&2; exit 1; }

as_pg=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "pg-test-server: running as root but there is no 'postgres' user" >&2; exit 1; }
  as_pg=(runuser -u postgres --)
fi

mkdir -p "$dir"
[ ${#as_pg[@]} -eq 0 ] || chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

if [ -n "$watch" ]; then
  # Detached watcher: stops the server when the test process is gone.
  nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; ${as_pg[*]} '$bindir/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null 2>&1; rm -rf '$dir'" \
    >/dev/null 2>&1 &
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
