#!/usr/bin/env bash
# stack.sh provisions the Redis and PostgreSQL instances the service needs, on
# loopback only, and never touches instances already running on the machine.
#
#   stack.sh test CMD...   throwaway instances (standalone Redis, PostgreSQL, a
#                          Mailpit mail server) on free ports in a temp folder; runs
#                          CMD with PRIZES_TEST_* pointing at them; tears down. A
#                          test process that needs a Redis Cluster starts its own
#                          in that folder (internal/testenv, loadtest/stack).
#   stack.sh run CMD...    private standalone Redis and PostgreSQL under .data/ in
#                          the repo (kept between runs) and a Mailpit whose web inbox
#                          shows the sign-in codes; runs CMD with PRIZES_* pointing at
#                          them; stops the instances when CMD exits.
#
# Missing packages (redis-server, postgresql, and for the browser tests chromium
# with fonts for Arabic and Chinese) are installed with apt-get, promtool (to
# check the alert rules) unpacked from Debian's prometheus package, Mailpit (a Go
# program) with go install, and axe-core (the accessibility checker the browser
# tests inject) with npm, itself installed with apt-get where it is missing.
set -euo pipefail

log() { printf 'stack: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root to run: $*"; exit 1
	fi
}

apt_updated=""
apt_update() {
	if [ -z "$apt_updated" ]; then as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
}
apt_install() {
	apt_update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; fi
}

ensure_packages() {
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		log "installing redis-server"; apt_install redis-server
	fi
	if [ -z "$(pg_bin)" ]; then
		log "installing postgresql"; apt_install postgresql
	fi
	PG_BIN=$(pg_bin)
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port NAME sets the variable NAME to a loopback port that is free now,
# whose +10000 companion (the Redis Cluster bus port) is free too, and neither
# of which an earlier call handed out: the servers start one after the other,
# so a port handed out but not yet bound looks free. It sets NAME rather than
# printing, because TAKEN must be kept by this shell, not by a subshell of a
# command substitution. Both ports stay below the kernel's ephemeral range
# (32768 and up by default), where outgoing connections of a busy machine
# could take a port between this check and the server's bind.
declare -A TAKEN=()
free_port() {
	# The candidate's name must differ from any NAME a caller passes, since
	# printf -v would set this function's local instead.
	local free_port_candidate
	for _ in $(seq 1 200); do
		free_port_candidate=$(( 10000 + RANDOM % 12000 ))
		set -- "$1" "$free_port_candidate" $((free_port_candidate + 10000))
		if [ -z "${TAKEN[$2]:-}" ] && [ -z "${TAKEN[$3]:-}" ] && ! port_busy "$2" && ! port_busy "$3"; then
			TAKEN[$2]=1; TAKEN[$3]=1
			printf -v "$1" '%s' "$2"; return 0
		fi
	done
	log "no free port found"; exit 1
}

# run_as_pg runs a PostgreSQL server binary as an unprivileged user: the server
# refuses to run as root.
run_as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # wait_for SECONDS CMD...
	local deadline=$(( $(date +%s) + $1 )); shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then log "timed out waiting for: $*"; return 1; fi
		sleep 0.1
	done
}

start_redis() { # start_redis DIR PORT [extra args]
	local dir=$1 port=$2; shift 2
	mkdir -p "$dir"
	redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --daemonize yes \
		--pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" \
		--appendonly yes --appendfsync everysec --protected-mode no "$@"
	wait_for 60 redis-cli -p "$port" ping
}

stop_redis() { # stop_redis PORT
	redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
}

# stop_leftover_redis stops every redis-server whose pid file is under DIR:
# the Redis Cluster nodes a test process starts for itself (see
# internal/testenv) and stops when its tests end, unless it was killed.
stop_leftover_redis() { # stop_leftover_redis DIR
	local f
	while IFS= read -r f; do
		kill "$(cat "$f")" 2>/dev/null || true
	done < <(find "$1" -name redis.pid 2>/dev/null)
}

start_pg() { # start_pg DIR PORT
	local dir=$1 port=$2
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		run_as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			run_as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1
	fi
	if ! run_as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start -o \
		"-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c fsync=${PG_FSYNC:-on} -c max_connections=300 -c shared_buffers=256MB" >/dev/null; then
		log "postgresql did not start on port $port; the end of its log:"
		tail -n 20 "$dir/postgres.log" >&2 || true
		return 1
	fi
	if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc "select 1 from pg_database where datname='prizes'" | grep -q 1; then
		psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "create database prizes" >/dev/null
	fi
}

stop_pg() { # stop_pg DIR
	run_as_pg "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w stop >/dev/null 2>&1 || true
}

# ensure_browser sets CHROMIUM to Debian's chromium, installing it and the
# Noto fonts (Arabic and Chinese pages) when missing.
ensure_browser() {
	if ! command -v chromium >/dev/null || [ ! -d /usr/share/fonts/opentype/noto ]; then
		log "installing chromium and fonts for the browser tests"; apt_install chromium fonts-noto-core fonts-noto-cjk
	fi
	CHROMIUM=$(command -v chromium)
}

AXE_VERSION=4.11.1

# ensure_axe sets AXE to axe-core's script, installed with npm into a cache
# folder once per version (npm itself with apt-get where it is missing); it
# stays empty where that fails, and the tests then say they did not check
# accessibility.
ensure_axe() {
	local dir="${XDG_CACHE_HOME:-$HOME/.cache}/prizes/axe-core-$AXE_VERSION"
	AXE="$dir/node_modules/axe-core/axe.min.js"
	if [ ! -f "$AXE" ] && ! command -v npm >/dev/null; then
		log "installing npm for axe-core"; apt_install npm || log "npm could not be installed"
	fi
	if [ ! -f "$AXE" ] && command -v npm >/dev/null; then
		log "installing axe-core $AXE_VERSION (npm)"
		npm install --prefix "$dir" --no-audit --no-fund --silent "axe-core@$AXE_VERSION" >&2 || true
	fi
	[ -f "$AXE" ] || AXE=""
}

# ensure_promtool sets PROMTOOL to Prometheus's rule checker: the one on the
# PATH, or the one in Debian's prometheus package, unpacked into a cache
# folder rather than installed, so that no Prometheus server is set up and
# started on the machine. It stays empty where that fails, and the alert
# rules' test then fails, saying so.
ensure_promtool() {
	PROMTOOL=$(command -v promtool || true)
	[ -z "$PROMTOOL" ] || return 0
	local dir="${XDG_CACHE_HOME:-$HOME/.cache}/prizes/prometheus" tmp
	PROMTOOL="$dir/usr/bin/promtool"
	if [ ! -x "$PROMTOOL" ]; then
		log "fetching promtool (Debian's prometheus package, unpacked into $dir, not installed)"
		tmp=$(mktemp -d); chmod 777 "$tmp"
		apt_update
		if (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
			dpkg-deb -x "$tmp"/prometheus_*.deb "$dir"
		fi
		rm -rf "$tmp"
	fi
	[ -x "$PROMTOOL" ] || { log "promtool could not be fetched"; PROMTOOL=""; }
}

MAILPIT_VERSION=v1.33.1

# ensure_mailpit sets MAILPIT to a mailpit binary, installing it with go
# install when there is none on the PATH or in GOPATH/bin.
ensure_mailpit() {
	local gobin
	gobin=$(go env GOBIN 2>/dev/null || true)
	[ -n "$gobin" ] || gobin="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
	MAILPIT=$(command -v mailpit || true)
	if [ -z "$MAILPIT" ] && [ -x "$gobin/mailpit" ]; then MAILPIT="$gobin/mailpit"; fi
	if [ -z "$MAILPIT" ]; then
		log "installing mailpit $MAILPIT_VERSION (go install, about a minute)"
		GOFLAGS=-buildvcs=false go install "github.com/axllent/mailpit@$MAILPIT_VERSION" >&2
		MAILPIT="$gobin/mailpit"
	fi
}

MAILPIT_PID=""
start_mailpit() { # start_mailpit DIR SMTP_PORT HTTP_PORT
	local dir=$1 smtp=$2 http=$3
	mkdir -p "$dir"
	"$MAILPIT" --smtp "127.0.0.1:$smtp" --listen "127.0.0.1:$http" --database "$dir/mailpit.db" \
		--disable-version-check --smtp-disable-rdns --smtp-auth-accept-any --smtp-auth-allow-insecure \
		--max 5000 --quiet >"$dir/mailpit.log" 2>&1 &
	MAILPIT_PID=$!
	wait_for 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$http && printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3 && grep -q ' 200 ' <&3"
}

stop_mailpit() {
	if [ -n "$MAILPIT_PID" ]; then kill "$MAILPIT_PID" 2>/dev/null || true; wait "$MAILPIT_PID" 2>/dev/null || true; fi
}

# run_child runs the command in the background and waits for it, so that a
# TERM or INT sent to this script is handled at once: the command is stopped
# first, then the EXIT trap stops the instances.
run_child() {
	"$@" &
	CHILD=$!
	trap 'kill -TERM "$CHILD" 2>/dev/null; wait "$CHILD"; exit 143' TERM
	trap 'kill -INT "$CHILD" 2>/dev/null; wait "$CHILD"; exit 130' INT
	local rc=0
	wait "$CHILD" || rc=$?
	return "$rc"
}

mode=${1:-}; shift || true
case "$mode" in
test)
	ensure_packages
	ensure_mailpit
	ensure_browser
	ensure_axe
	ensure_promtool
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/prizes-test.XXXXXX")
	chmod 755 "$TMP"
	free_port REDIS_PORT; free_port PG_PORT; free_port SMTP_PORT; free_port MAILPIT_PORT
	cleanup() {
		stop_redis "$REDIS_PORT"
		stop_leftover_redis "$TMP"
		stop_pg "$TMP/pg"
		stop_mailpit
		rm -rf "$TMP"
	}
	trap cleanup EXIT
	start_redis "$TMP/redis" "$REDIS_PORT"
	start_mailpit "$TMP/mailpit" "$SMTP_PORT" "$MAILPIT_PORT"
	# The tests make and drop many databases; durability of the throwaway
	# instance itself does not matter, so fsync is off to keep CI short.
	PG_FSYNC=off start_pg "$TMP/pg" "$PG_PORT"
	export PRIZES_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
	export PRIZES_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/prizes?sslmode=disable"
	export PRIZES_TEST_TMP="$TMP"
	export PRIZES_TEST_SMTP_ADDR="127.0.0.1:$SMTP_PORT"
	export PRIZES_TEST_MAILPIT_URL="http://127.0.0.1:$MAILPIT_PORT"
	export PRIZES_TEST_CHROMIUM="$CHROMIUM" PRIZES_TEST_AXE="$AXE" PRIZES_TEST_PROMTOOL="$PROMTOOL"
	log "redis $PRIZES_TEST_REDIS_URL, postgres $PRIZES_TEST_DATABASE_URL, smtp $PRIZES_TEST_SMTP_ADDR (inbox $PRIZES_TEST_MAILPIT_URL)"
	run_child "$@"
	;;
run)
	ensure_packages
	ROOT=$(cd "$(dirname "$0")/../.." && pwd)
	DATA=${PRIZES_DATA_DIR:-$ROOT/.data}
	mkdir -p "$DATA"; chmod 755 "$DATA"
	REDIS_PORT=${PRIZES_LOCAL_REDIS_PORT:-}; [ -n "$REDIS_PORT" ] || free_port REDIS_PORT
	PG_PORT=${PRIZES_LOCAL_PG_PORT:-}; [ -n "$PG_PORT" ] || free_port PG_PORT
	cleanup() { stop_redis "$REDIS_PORT"; stop_pg "$DATA/pg"; stop_mailpit; }
	trap cleanup EXIT
	if [ -z "${PRIZES_REDIS_URL:-}" ]; then
		start_redis "$DATA/redis" "$REDIS_PORT"
		export PRIZES_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
	fi
	if [ -z "${PRIZES_DATABASE_URL:-}" ]; then
		start_pg "$DATA/pg" "$PG_PORT"
		export PRIZES_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/prizes?sslmode=disable"
	fi
	if [ -z "${PRIZES_SMTP_HOST:-}" ]; then
		ensure_mailpit
		SMTP_PORT=${PRIZES_LOCAL_SMTP_PORT:-}; [ -n "$SMTP_PORT" ] || free_port SMTP_PORT
		MAILPIT_PORT=${PRIZES_LOCAL_MAILPIT_PORT:-}; [ -n "$MAILPIT_PORT" ] || free_port MAILPIT_PORT
		start_mailpit "$DATA/mailpit" "$SMTP_PORT" "$MAILPIT_PORT"
		export PRIZES_SMTP_HOST=127.0.0.1 PRIZES_SMTP_PORT="$SMTP_PORT" PRIZES_SMTP_TLS=none
		export PRIZES_MAIL_INBOX="http://127.0.0.1:$MAILPIT_PORT"
		log "mail: sign-in codes go to Mailpit; read them at $PRIZES_MAIL_INBOX"
	fi
	log "redis $PRIZES_REDIS_URL, postgres $PRIZES_DATABASE_URL, smtp $PRIZES_SMTP_HOST:${PRIZES_SMTP_PORT:-587}"
	run_child "$@"
	;;
*)
	echo "usage: stack.sh test|run CMD..." >&2; exit 2
	;;
esac
