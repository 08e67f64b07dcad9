#!/usr/bin/env bash
# Makes sure Redis, PostgreSQL and a MongoDB-compatible server (FerretDB) answer, then migrates the database.
# Idempotent: a service that answers is left alone; a local one that is stopped is started, a missing one installed
# (apt-get for Redis and PostgreSQL, FerretDB built from source into .mirage/bin). A service whose URL points to
# another host is only waited for. Quiet on success: one line per service it had to act on, nothing otherwise.
#
#   REDIS_URL     default redis://127.0.0.1:6379
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/mirage
#   MONGODB_URL   default mongodb://127.0.0.1:27017/mirage
#   MIRAGE_SERVICES_TIMEOUT  seconds to wait for each service (default 60)
#   MIRAGE_FERRETDB_HANDLER  FerretDB backend: postgresql (default, database "ferretdb") or sqlite (.mirage/ferretdb/sqlite)
# Each is declared, with the same default, in packages/runtime/src/platform/Settings.ts or packages/testkit/src/Settings.ts
# (README's configuration table); a test checks that the defaults here are the declared ones.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.mirage"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mirage}"
MONGODB_URL="${MONGODB_URL:-mongodb://127.0.0.1:27017/mirage}"
TIMEOUT="${MIRAGE_SERVICES_TIMEOUT:-60}"
FERRETDB_VERSION="v1.24.2"
FERRETDB_MODULE="github.com/FerretDB/FerretDB"
FERRETDB_HANDLER="${MIRAGE_FERRETDB_HANDLER:-postgresql}"

say() { printf 'services: %s\n' "$*"; }
die() {
  printf 'services: error: %s\n' "$*" >&2
  exit 1
}

# --- URLs -------------------------------------------------------------------------------------------------------

# The host[:port] of the first host of URL (userinfo, path, query and other hosts removed).
url_hostport() {
  local rest="${1#*://}"
  rest="${rest%%[/?#]*}"
  rest="${rest##*@}"
  printf '%s' "${rest%%,*}"
}
url_host() {
  local hp
  hp="$(url_hostport "$1")"
  if [[ $hp == \[* ]]; then
    hp="${hp#\[}"
    printf '%s' "${hp%%\]*}"
  else
    printf '%s' "${hp%%:*}"
  fi
}
url_port() { # URL DEFAULT
  local hp port=""
  hp="$(url_hostport "$1")"
  if [[ $hp == \[* ]]; then
    port="${hp##*\]}"
    port="${port#:}"
  elif [[ $hp == *:* ]]; then
    port="${hp##*:}"
  fi
  printf '%s' "${port:-$2}"
}
url_db() {
  local rest="${1#*://}"
  rest="${rest%%[?#]*}"
  if [[ $rest == */* ]]; then printf '%s' "${rest#*/}"; fi
}
url_with_db() { # URL DB: the same URL naming another database
  local scheme="${1%%://*}" rest="${1#*://}" query=""
  if [[ $rest == *\?* ]]; then
    query="?${rest#*\?}"
    rest="${rest%%\?*}"
  fi
  printf '%s://%s/%s%s' "$scheme" "${rest%%/*}" "$2" "$query"
}
is_loopback() {
  case "$1" in
    localhost | 127.* | ::1 | "") return 0 ;;
    *) return 1 ;;
  esac
}

REDIS_HOST="$(url_host "$REDIS_URL")"
REDIS_PORT="$(url_port "$REDIS_URL" 6379)"
PG_HOST="$(url_host "$DATABASE_URL")"
PG_PORT="$(url_port "$DATABASE_URL" 5432)"
PG_DB="$(url_db "$DATABASE_URL")"
PG_DB="${PG_DB:-mirage}"
PG_ADMIN_URL="$(url_with_db "$DATABASE_URL" postgres)"
MONGO_HOST="$(url_host "$MONGODB_URL")"
MONGO_PORT="$(url_port "$MONGODB_URL" 27017)"

# --- probes (each answers within ~2 s) --------------------------------------------------------------------------

tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

redis_answers() {
  if [[ $REDIS_URL == rediss://* ]]; then
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
    return
  fi
  local reply
  reply="$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 && IFS= read -r line <&3 && printf "%s" "$line"' \
    "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null)" || return 1
  [[ $reply == +PONG* || $reply == -NOAUTH* ]]
}

# One Redis command through redis-cli (or bash's /dev/tcp without it), its reply's lines printed. Inline protocol:
# arguments must not contain spaces. Plain TCP and no password only: used on a loopback Redis.
redis_cmd() {
  if command -v redis-cli >/dev/null; then
    timeout 2 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@" 2>/dev/null
    return
  fi
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1" && shift 2 && printf "%s\r\n" "$*" >&3 &&
    for _ in 1 2 3 4 5; do IFS= read -r -t 1 line <&3 || break; line="${line%$'"'"'\r'"'"'}";
      [[ $line == [*$]* ]] || printf "%s\n" "$line"; done' "$REDIS_HOST" "$REDIS_PORT" "$@" 2>/dev/null
}

# Mirage keeps its shard streams, leases and fencing epochs in Redis: a local Redis must log every write to its
# append-only file (see infra/README.md). True when that is so, or when Redis is not ours to configure.
redis_durable() {
  is_loopback "$REDIS_HOST" || return 0
  [[ $REDIS_URL == rediss://* ]] && return 0
  local reply
  reply="$(redis_cmd CONFIG GET appendonly)" || return 0
  # An answer without the setting (CONFIG refused, a password needed): nothing this script can do.
  [[ $reply == *appendonly* ]] || return 0
  [[ $reply == *yes* ]]
}

# Turns on the append-only file of a running loopback Redis (idempotent; takes effect at once, no restart).
redis_enable_aof() {
  redis_durable && return 0
  redis_cmd CONFIG SET appendfsync everysec >/dev/null || true
  if [[ "$(redis_cmd CONFIG SET appendonly yes)" == *OK* ]]; then
    say "Redis at $REDIS_HOST:$REDIS_PORT ran without an append-only file: turned it on (appendonly yes, appendfsync everysec), so that a restart keeps streams, leases and fencing epochs"
  else
    say "warning: Redis at $REDIS_HOST:$REDIS_PORT runs without an append-only file and refused CONFIG SET appendonly yes: a restart of it loses streams, leases and fencing epochs"
  fi
}

pg_answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2
  else
    tcp_open "$PG_HOST" "$PG_PORT"
  fi
}

# Sends an OP_MSG {ping: 1, $db: "admin"} and checks that an OP_MSG answering request 1 comes back.
mongo_answers() {
  if [[ $MONGODB_URL == *tls=true* || $MONGODB_URL == *ssl=true* ]]; then
    tcp_open "$MONGO_HOST" "$MONGO_PORT"
    return
  fi
  local header
  header="$(timeout 2 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x33\0\0\0\x01\0\0\0\0\0\0\0\xdd\x07\0\0\0\0\0\0\0\x1e\0\0\0\x10ping\0\x01\0\0\0\x02\$db\0\x06\0\0\0admin\0\0" >&3
    head -c 16 <&3 | od -An -tx1' "$MONGO_HOST" "$MONGO_PORT" 2>/dev/null)" || return 1
  header="${header//[[:space:]]/}"
  [[ ${header:16:16} == 01000000dd070000 ]]
}

psql_run() { # URL ARGS...: one tuples-only, unaligned query
  psql "$1" -X -q -tA -v ON_ERROR_STOP=1 "${@:2}"
}

migrations_applied() {
  command -v psql >/dev/null || return 1
  local have file
  have=" $(psql_run "$DATABASE_URL" -c "SELECT string_agg(name, ' ') FROM schema_migrations" 2>/dev/null) " || return 1
  for file in "$ROOT"/infra/migrations/*.sql; do
    [[ -e $file && $have != *" ${file##*/} "* ]] && return 1
  done
  return 0
}

# Fast path: everything answers and is migrated.
if redis_answers && redis_durable && pg_answers && mongo_answers && migrations_applied; then
  exit 0
fi

# --- slow path --------------------------------------------------------------------------------------------------

mkdir -p "$STATE"
# One run at a time does the work (the others then find everything running). flock -o holds the lock in flock itself,
# so that the daemons started below do not inherit it.
if [[ -z ${MIRAGE_SERVICES_LOCKED:-} ]] && command -v flock >/dev/null; then
  MIRAGE_SERVICES_LOCKED=1 exec flock -o -w 600 "$STATE/services.lock" bash "${BASH_SOURCE[0]}" "$@"
fi

wait_for() { # WHAT LOG CHECK...
  local what="$1" log="$2" deadline=$((SECONDS + TIMEOUT))
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      if [[ -n $log && -s $log ]]; then tail -n 20 "$log" >&2; fi
      die "$what did not answer within ${TIMEOUT}s${log:+ (log: $log)}"
    fi
    sleep 0.2
  done
}

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    die "root is needed to run: $*"
  fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "$* is not installed and there is no apt-get to install it; install it yourself"
  local log="$STATE/apt.log"
  say "installing $* with apt-get"
  if [[ $APT_UPDATED == 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update >"$log" 2>&1 || {
      tail -n 20 "$log" >&2
      die "apt-get update failed"
    }
    APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >>"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    die "apt-get install $* failed"
  }
}

# --- Redis ------------------------------------------------------------------------------------------------------

ensure_redis() {
  if redis_answers; then
    redis_enable_aof
    return 0
  fi
  if is_loopback "$REDIS_HOST"; then
    command -v redis-server >/dev/null || apt_install redis-server
    if ! redis_answers; then
      mkdir -p "$STATE/redis"
      # Every write in the append-only file, flushed to disk once a second: a restart loses at most the last second.
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly yes --appendfsync everysec --appendfilename mirage.aof \
        --dir "$STATE/redis" --logfile "$STATE/redis.log" --pidfile "$STATE/redis.pid" >/dev/null ||
        die "redis-server failed to start (log: $STATE/redis.log)"
      say "started Redis on 127.0.0.1:$REDIS_PORT (append-only file in $STATE/redis)"
    fi
  fi
  wait_for "Redis at $REDIS_HOST:$REDIS_PORT" "$([[ -f $STATE/redis.log ]] && echo "$STATE/redis.log")" redis_answers
}

# --- PostgreSQL -------------------------------------------------------------------------------------------------

pg_trust_loopback() { # VERSION CLUSTER: a cluster this script created answers postgres://postgres@127.0.0.1 without a password
  local hba="/etc/postgresql/$1/$2/pg_hba.conf"
  [[ -f $hba ]] || return 0
  grep -q '^host all all 127.0.0.1/32 trust' "$hba" && return 0
  as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
}

start_postgres() {
  local fresh=0 ver name port status cluster=""
  if ! command -v pg_lsclusters >/dev/null; then
    apt_install postgresql
    fresh=1
  fi
  while read -r ver name port status _; do
    if [[ $port == "$PG_PORT" ]]; then
      cluster="$ver $name"
      break
    fi
  done < <(pg_lsclusters -h 2>/dev/null)
  if [[ -z $cluster ]]; then
    [[ -z "$(pg_lsclusters -h 2>/dev/null)" ]] ||
      die "no PostgreSQL cluster listens on port $PG_PORT (see pg_lsclusters); set DATABASE_URL to one that does"
    ver="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    name=main
    as_root pg_createcluster --port "$PG_PORT" "$ver" "$name" >"$STATE/postgresql.log" 2>&1 ||
      die "pg_createcluster failed (log: $STATE/postgresql.log)"
    fresh=1
    status=down
  fi
  if [[ $fresh == 1 ]]; then pg_trust_loopback "$ver" "$name"; fi
  if [[ $status == online* ]]; then
    if [[ $fresh == 1 ]]; then as_root pg_ctlcluster "$ver" "$name" reload >/dev/null 2>&1 || true; fi
    return 0
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >"$STATE/postgresql.log" 2>&1 || {
    tail -n 20 "$STATE/postgresql.log" >&2
    die "PostgreSQL $ver/$name failed to start"
  }
  say "started PostgreSQL $ver/$name on port $PG_PORT"
}

create_database_if_missing() { # NAME: succeeds only when it created the database (a concurrent creator is fine)
  local exists="SELECT 1 FROM pg_database WHERE datname = '$1'"
  [[ "$(psql_run "$PG_ADMIN_URL" -c "$exists")" == 1 ]] && return 1
  psql_run "$PG_ADMIN_URL" -c "CREATE DATABASE \"$1\"" >/dev/null 2>&1 ||
    [[ "$(psql_run "$PG_ADMIN_URL" -c "$exists")" == 1 ]] ||
    die "could not create database $1 at $PG_HOST:$PG_PORT"
  return 0
}

ensure_postgres() {
  if ! pg_answers && is_loopback "$PG_HOST"; then start_postgres; fi
  wait_for "PostgreSQL at $PG_HOST:$PG_PORT" "" pg_answers
  command -v psql >/dev/null || apt_install postgresql-client
  # pg_isready also answers while the server still refuses connections (starting up, recovering)
  wait_for "PostgreSQL at $PG_HOST:$PG_PORT (connection as in DATABASE_URL)" "" \
    psql_run "$PG_ADMIN_URL" -o /dev/null -c "SELECT 1"
  if create_database_if_missing "$PG_DB"; then say "created database $PG_DB"; fi
}

migrate() {
  migrations_applied && return 0
  local tsx="$ROOT/node_modules/.bin/tsx"
  [[ -x $tsx ]] || die "node_modules is missing: run npm install first"
  (cd "$ROOT" && DATABASE_URL="$DATABASE_URL" "$tsx" infra/migrate.ts) || die "migrations failed"
}

# --- FerretDB ---------------------------------------------------------------------------------------------------

# The whole answer is read before it is matched: `grep -q` stopping at the first line would leave FerretDB writing the
# rest into a closed pipe, and under pipefail that SIGPIPE failed a good binary now and then (a needless rebuild, or
# on a fresh machine a failed start).
ferretdb_ok() {
  local answer
  [[ -x $1 ]] && answer="$("$1" --version 2>/dev/null)" && grep -qx "version: $FERRETDB_VERSION" <<<"$answer"
}

# Prints the path of a working FerretDB binary of the pinned version, building one into .mirage/bin if needed.
ferretdb_binary() {
  local candidate gopath=""
  if command -v go >/dev/null; then gopath="$(go env GOPATH 2>/dev/null || true)"; fi
  for candidate in "$STATE/bin/ferretdb" ${gopath:+"$gopath/bin/ferretdb"} "$(command -v ferretdb || true)"; do
    if [[ -n $candidate ]] && ferretdb_ok "$candidate"; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  build_ferretdb >&2
  printf '%s' "$STATE/bin/ferretdb"
}

build_ferretdb() {
  command -v go >/dev/null ||
    die "Go (>= 1.24) is needed to build FerretDB $FERRETDB_VERSION (or put a ferretdb $FERRETDB_VERSION binary in .mirage/bin)"
  local log="$STATE/ferretdb-build.log" tmp json dir
  mkdir -p "$STATE/bin"
  tmp="$(mktemp -d "$STATE/ferretdb-build.XXXXXX")"
  say "building FerretDB $FERRETDB_VERSION into .mirage/bin (first run only, takes a minute or two)"
  # `go install` first. A binary built from the module as published panics at start-up ("Invalid
  # build/version/version.txt": that file is generated by FerretDB's release tooling and not in the module), so it
  # is checked and, failing that, the module source is downloaded, given version.txt, and built.
  if (cd "$tmp" && GOWORK=off GOBIN="$tmp/bin" go install -trimpath "$FERRETDB_MODULE/cmd/ferretdb@$FERRETDB_VERSION") \
    >"$log" 2>&1 && ferretdb_ok "$tmp/bin/ferretdb"; then
    mv "$tmp/bin/ferretdb" "$STATE/bin/ferretdb"
  else
    json="$(cd "$tmp" && GOWORK=off go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" 2>>"$log")" || {
      printf '%s\n' "$json" >>"$log"
      rm -rf "$tmp"
      die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed (log: $log)"
    }
    dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
    [[ -d $dir ]] || die "go mod download did not report a module directory (log: $log)"
    cp -R "$dir" "$tmp/src"
    chmod -R u+w "$tmp/src"
    printf '%s\n' "$FERRETDB_VERSION" >"$tmp/src/build/version/version.txt"
    if ! (cd "$tmp/src" && GOWORK=off go build -trimpath -o "$tmp/ferretdb" ./cmd/ferretdb) >>"$log" 2>&1 ||
      ! ferretdb_ok "$tmp/ferretdb"; then
      tail -n 20 "$log" >&2
      chmod -R u+w "$tmp" && rm -rf "$tmp"
      die "building FerretDB failed (log: $log)"
    fi
    mv "$tmp/ferretdb" "$STATE/bin/ferretdb"
  fi
  chmod -R u+w "$tmp" && rm -rf "$tmp"
}

FERRETDB_PID=""
ferretdb_answers() {
  mongo_answers && return 0
  if [[ -n $FERRETDB_PID ]] && ! kill -0 "$FERRETDB_PID" 2>/dev/null; then
    tail -n 20 "$STATE/ferretdb.log" >&2
    die "FerretDB exited right after starting (log: $STATE/ferretdb.log)"
  fi
  return 1
}

start_ferretdb() {
  local pidfile="$STATE/ferretdb.pid" pid bin listen="127.0.0.1" args
  # One already starting (or hung): give it a moment, then replace it.
  if [[ -f $pidfile ]] && pid="$(<"$pidfile")" && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    grep -q ferretdb "/proc/$pid/cmdline" 2>/dev/null; then
    local i
    for i in $(seq 50); do mongo_answers && return 0 || sleep 0.2; done
    kill "$pid" 2>/dev/null || true
    sleep 1
  fi
  bin="$(ferretdb_binary)"
  [[ $MONGO_HOST == ::1 ]] && listen="[::1]"
  args=(
    --listen-addr="$listen:$MONGO_PORT"
    --state-dir="$STATE/ferretdb"
    --telemetry=disable
    --debug-addr=-
    --log-level=error
  )
  mkdir -p "$STATE/ferretdb"
  case "$FERRETDB_HANDLER" in
    postgresql)
      # Duplicate-key errors are expected (unique indexes skip duplicates): keep them out of the server log.
      if create_database_if_missing ferretdb; then
        psql_run "$PG_ADMIN_URL" -c "ALTER DATABASE ferretdb SET log_min_messages = fatal" \
          -c "ALTER DATABASE ferretdb SET log_min_error_statement = panic" >/dev/null 2>&1 || true
      fi
      args+=(--handler=postgresql --postgresql-url="${FERRETDB_POSTGRESQL_URL:-$(url_with_db "$DATABASE_URL" ferretdb)}")
      ;;
    sqlite)
      mkdir -p "$STATE/ferretdb/sqlite"
      args+=(--handler=sqlite --sqlite-url="file:$STATE/ferretdb/sqlite/")
      ;;
    *) die "MIRAGE_FERRETDB_HANDLER must be postgresql or sqlite, not $FERRETDB_HANDLER" ;;
  esac
  # FerretDB logs every failed INSERT of its PostgreSQL backend at ERROR level, duplicate keys (SQLSTATE 23505)
  # included: those lines are filtered out of the log. setsid and exec keep the pid of FerretDB itself in $!.
  : >"$STATE/ferretdb.log"
  setsid nohup bash -c 'log="$1"; shift; exec "$@" > >(exec grep --line-buffered -v "\"Code\":\"23505\"" >>"$log") 2>&1' \
    ferretdb "$STATE/ferretdb.log" "$bin" "${args[@]}" </dev/null >/dev/null 2>&1 &
  FERRETDB_PID=$!
  printf '%s\n' "$FERRETDB_PID" >"$pidfile"
  say "started FerretDB $FERRETDB_VERSION ($FERRETDB_HANDLER backend) on $listen:$MONGO_PORT"
}

ensure_ferretdb() {
  [[ $MONGODB_URL == mongodb+srv://* ]] && return 0
  mongo_answers && return 0
  if is_loopback "$MONGO_HOST"; then start_ferretdb; fi
  wait_for "MongoDB (FerretDB) at $MONGO_HOST:$MONGO_PORT" \
    "$([[ -n $FERRETDB_PID ]] && echo "$STATE/ferretdb.log")" ferretdb_answers
}

ensure_redis
ensure_postgres
ensure_ferretdb
migrate
