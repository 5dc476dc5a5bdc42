# shellcheck shell=bash
# Starts a private, throw-away PostgreSQL for the tests and exports OFS_TEST_PG (a libpq URL),
# unless OFS_TEST_PG is already set. Source it from bash, and stop the server on exit:
#
#   source scripts/pg_temp.sh || exit 1
#   trap pg_temp_stop EXIT
#
# The cluster lives in a mktemp -d directory (data, socket, logs), listens on a free port of
# 127.0.0.1 only, trusts every local connection and runs with fsync off: for tests only.
# initdb and postgres refuse to run as root, so as root they run as the postgres user.
# Needs the postgresql-15 server binaries (override with PG_BIN=/path/to/bin).

pg_temp_stop() { :; }  # replaced below once a server runs

_pg_temp_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
  else
    echo $((20000 + RANDOM % 30000))
  fi
}

_pg_temp_start() {
  local bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
  if [[ ! -x $bin/initdb || ! -x $bin/pg_ctl ]]; then
    echo "pg_temp: no PostgreSQL server binaries in $bin (install postgresql-15 or set PG_BIN)" >&2
    return 1
  fi
  local dir as=()
  dir=$(mktemp -d "${TMPDIR:-/tmp}/ofs-pg.XXXXXX") || return 1
  if [[ $(id -u) == 0 ]]; then
    chown postgres: "$dir" || return 1
    as=(runuser -u postgres --)
  fi
  if ! "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -N -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1; then
    echo "pg_temp: initdb failed, see $dir/initdb.log" >&2
    return 1
  fi
  local port try
  for try in 1 2 3 4 5; do  # a port found free may be taken before the server binds it
    port=$(_pg_temp_free_port)
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -s start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null 2>&1; then
      _PG_TEMP_DIR=$dir _PG_TEMP_BIN=$bin _PG_TEMP_AS=("${as[@]}")
      export OFS_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
      pg_temp_stop() {
        [[ -n ${_PG_TEMP_DIR:-} ]] || return 0
        "${_PG_TEMP_AS[@]}" "$_PG_TEMP_BIN/pg_ctl" -D "$_PG_TEMP_DIR/data" -m immediate -s stop >/dev/null 2>&1
        rm -rf "$_PG_TEMP_DIR"
        unset _PG_TEMP_DIR OFS_TEST_PG
      }
      echo "pg_temp: PostgreSQL on 127.0.0.1:$port (data in $dir)" >&2
      return 0
    fi
  done
  echo "pg_temp: the server did not start, see $dir/server.log" >&2
  return 1
}

if [[ -z ${OFS_TEST_PG:-} ]]; then
  _pg_temp_start
fi
