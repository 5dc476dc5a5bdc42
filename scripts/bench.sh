#!/usr/bin/env bash
# Measures OFS, ejabberd and Prosody on this machine in one run, with the same loads, and
# prints one table: XMPP over TCP and over WebSocket, and OFS's HTTP listener beside nginx.
# Installs ejabberd, Prosody (and nginx and wrk for the http scenario) from Debian when
# missing (their system services stay off), builds OFS and its load generator (tests/bench,
# ofs_bench), then for each server: a private configuration and data in a temp dir,
# foreground on loopback on a free port, the same accounts made with the server's own tool,
# the same scenarios.
# By default each server gets CPU 0 and the generator CPU 1 (taskset): one core each.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

sessions=5000 pairs=50 window=16 rate=5000 duration=10 warmup=2
roster=50 groups=4 muc=100 login_concurrency=50
http_path=/index.html http_connections=50 sis_path="/sis/u1@localhost.png?size=32&style=badge"
servers="ofs ejabberd prosody nginx" scenarios="idle chat chat-sm-mam presence muc" server_cpus=0 client_cpus=1 nice=0 tls=0 sasl=plain keep=0 ofs_accounts=xmpp

usage() {
  cat <<EOF
usage: scripts/bench.sh [options]
  --sessions N      idle authenticated sessions             ($sessions)
  --pairs K         chatting pairs                          ($pairs)
  --window W        chat messages in flight per sender      ($window)
  --rate R          msg/s of the latency run                ($rate)
  --roster R        contacts per roster (presence)          ($roster)
  --groups G        cliques of R+1 users (presence)         ($groups)
  --muc M           room occupants (1000 and 10000 work;      ($muc)
                    rooms past 100 have 100,000/M talkers)
  --duration S      seconds measured per phase              ($duration)
  --servers LIST    any of: ofs ejabberd prosody nginx      ("$servers")
                    (nginx only runs the http and sis scenarios, and only it does)
  --scenarios LIST  any of: idle chat chat-sm-mam presence muc ws-idle ws-chat http sis  ("$scenarios")
                    chat-sm-mam: chat with stream management on every client and every
                    message archived; chat has neither
                    sis: status images, cached (one URL) and uncached (options varied),
                    beside nginx serving a static PNG of the same size
                    ws-*: idle and chat over WebSocket (RFC 7395) instead of c2s
  --http-path P     http: the path OFS serves, and nginx a file of the same size ($http_path)
  --http-connections N  http: keep-alive connections of wrk ($http_connections)
  --sis-path P      sis: the image OFS serves ($sis_path)
  --server-cpus L   CPUs for the server (taskset list)      ($server_cpus)
  --client-cpus L   CPUs for the generator                  ($client_cpus)
  --nice N          niceness of servers and generator, e.g. -10 on a busy machine ($nice)
  --tls             STARTTLS on every session
  --sasl M          plain or scram-sha-1 (the client derives the key)  ($sasl)
  --ofs-accounts A  xmpp (XEP-0077, fast) or ofsctl (one process per account)  ($ofs_accounts)
  --keep            keep the temp dir (configs, logs, raw results)
EOF
}
while [ $# -gt 0 ]; do
  case $1 in
    --sessions) sessions=$2; shift 2 ;;
    --pairs) pairs=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --roster) roster=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --muc) muc=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --http-path) http_path=$2; shift 2 ;;
    --http-connections) http_connections=$2; shift 2 ;;
    --sis-path) sis_path=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --server-cpus) server_cpus=$2; shift 2 ;;
    --client-cpus) client_cpus=$2; shift 2 ;;
    --nice) nice=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    --sasl) sasl=$2; shift 2 ;;
    --ofs-accounts) ofs_accounts=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: it installs packages and runs servers as their own users"
for s in $scenarios; do
  case $s in idle|chat|chat-sm-mam|presence|muc|ws-idle|ws-chat|http|sis) ;; *) die "unknown scenario $s" ;; esac
done
for s in $servers; do
  case $s in ofs|ejabberd|prosody|nginx) ;; *) die "unknown server $s" ;; esac
done
[[ $http_path == /* ]] || die "--http-path must start with /"
has_word() { [[ " $1 " == *" $2 "* ]]; }
if has_word "$scenarios" http || has_word "$scenarios" sis; then want_http=1; else want_http=0; fi
# nginx is only there for the http and sis scenarios.
[ $want_http = 1 ] || servers=$(echo " $servers " | sed 's/ nginx / /; s/^ *//; s/ *$//')

# --- install ------------------------------------------------------------------------------
say "dependencies"
scripts/install-deps.sh --with-tests
missing=()
packages="prosody ejabberd curl util-linux openssl"
[ $want_http = 1 ] && packages+=" nginx wrk"
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  # Debian starts a daemon when its package is installed unless policy-rc.d says no (101).
  policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' >$policy; chmod 755 $policy; made_policy=1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy = 1 ] && rm -f $policy
  # The system services would hold the standard ports and system data: off, not enabled.
  for s in prosody ejabberd nginx; do
    if [ -d /run/systemd/system ]; then systemctl disable --now "$s" >/dev/null 2>&1 || true
    else service "$s" stop >/dev/null 2>&1 || true; update-rc.d "$s" disable >/dev/null 2>&1 || true; fi
  done
fi

# --- build --------------------------------------------------------------------------------
say "build"
build_dir=${OFS_BUILD_DIR:-build}
OFS_BUILD_DIR=$build_dir scripts/build.sh
cmake --build "$build_dir" --target ofs_bench ofsd ofsctl >/dev/null
bench=$root/$build_dir/tests/bench/ofs_bench
ofsd=$root/$build_dir/server/ofsd
ofsctl=$root/$build_dir/server/ofsctl

# --- shared state -------------------------------------------------------------------------
work=$(mktemp -d /tmp/ofs-bench.XXXXXX)
chmod 755 "$work"  # the prosody and ejabberd users must reach their directories
server_pid="" epmd_was_running=0
pgrep -x epmd >/dev/null && epmd_was_running=1
cleanup() {
  [ -n "$server_pid" ] && stop_pid "$server_pid"
  [ $epmd_was_running = 0 ] && pgrep -x epmd >/dev/null && epmd -kill >/dev/null 2>&1
  if [ $keep = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"  # thousands of sessions; setpriv (not su) keeps this for the servers

server_threads=$(taskset -c "$server_cpus" nproc)
users=$sessions
[ $((2 * pairs)) -gt $users ] && users=$((2 * pairs))
[ "$muc" -gt $users ] && users=$muc
roster_users=$((groups * (roster + 1)))
password=bench-pw
[ "$ofs_accounts" = ofsctl ] || [ $((users + roster_users)) -le 10000 ] ||
  die "OFS registers at most 10,000 accounts an hour per address: use --ofs-accounts ofsctl"

free_port() {  # below the ephemeral range, nothing listening
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port"
}
wait_port() {  # port seconds
  for _ in $(seq $((${2} * 10))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# Servers and generator each on their own CPUs, at the chosen priority.
on_server_cpus() { nice -n "$nice" taskset -c "$server_cpus" "$@"; }
on_client_cpus() { nice -n "$nice" taskset -c "$client_cpus" "$@"; }
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
account_names() {  # the generator's accounts: u1..uN, then p1..pM
  seq -f "u%g" 1 "$users"
  seq -f "p%g" 1 "$roster_users"
}

source "$root/scripts/bench_servers.sh"

# --- run ----------------------------------------------------------------------------------
run_scenario() {  # server tag scenario args...: figures go in as "<server> <tag>.<key> <value>"
  local name=$1 tag=$2 scenario=$3 out
  shift 3
  out=$work/$name.$tag.out
  echo "   $tag" >&2
  # The port of this launch (OFS takes new free ports at each one) for the listener in use.
  local tls_flag=() target_port=$port ws=()
  case $listener in
    ws) target_port=$ws_port ws=(--transport ws --ws-path "$ws_path") ;;
    http) target_port=$http_port ;;
    c2s) [ $tls = 1 ] && tls_flag=(--tls) ;;  # STARTTLS exists on c2s only
  esac
  if ! on_client_cpus "$bench" "$scenario" --port "$target_port" --server-pid "$pid" \
      --password "$password" --duration "$duration" --warmup "$warmup" \
      --login-concurrency "$login_concurrency" --sasl "$sasl" "${tls_flag[@]}" "${ws[@]}" "$@" >"$out" 2>"$out.err"; then
    echo "   $tag did not complete: $(tail -n 3 "$out.err" "$out" | grep -v '^result' | tr '\n' ' ')" >&2
    echo "result $scenario.failed 1" >>"$out"
  fi
  grep '^#' "$out" | sed 's/^/   /' >&2 || true
  grep '^result ' "$out" | sed "s/^result $scenario\./$name $tag./" >>"$work/results" || true
}

: >"$work/results"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)$( [ -r /proc/pressure/cpu ] && echo ", CPU pressure: $(head -n 1 /proc/pressure/cpu)")" >&2
for name in $servers; do
  say "$name"
  mkdir -p "$work/$name"
  rosters_ready=0 launched=0 accounts_made=0
  port="" ws_port="" ws_path="" http_port=""
  "configure_$name"
  for scenario in $scenarios; do
    # nginx serves HTTP only; ejabberd and Prosody are not measured as HTTP servers.
    is_http=0
    case $scenario in http|sis) is_http=1 ;; esac
    if [ "$name" = nginx ] && [ $is_http = 0 ]; then continue; fi
    if [ $is_http = 1 ] && [ "$name" != nginx ] && [ "$name" != ofs ]; then continue; fi
    # A fresh process for each scenario, on the same data: Prosody, for one, is several
    # times slower once 5,000 sessions have come and gone (docs/benchmarks.md).
    durable=0
    [ "$scenario" = chat-sm-mam ] && durable=1
    "launch_$name"  # sets pid (the process whose memory and CPU are read), port, ws_port, ws_path, http_port
    if [ $launched = 0 ]; then
      echo "   pid $pid${port:+, c2s port $port}${ws_port:+, WebSocket ws://127.0.0.1:$ws_port$ws_path}${http_port:+, HTTP port $http_port}" >&2
      launched=1
    fi
    if [ $accounts_made = 0 ] && [ $is_http = 0 ]; then
      echo "   $(account_names | wc -l) accounts" >&2
      t0=$(date +%s)
      "users_$name"
      echo "   accounts made in $(($(date +%s) - t0)) s" >&2
      accounts_made=1
    fi
    case $scenario in
      ws-*) listener=ws ;;
      http|sis) listener=http ;;
      *) listener=c2s ;;
    esac
    tag=${scenario//-/_}
    case $scenario in
      idle|ws-idle)
        run_scenario "$name" "$tag" idle --sessions "$sessions"
        # With PLAIN the server derives the key at each login; a server that keeps what
        # that leaves in each session (ejabberd) looks bigger than it is: SCRAM as well.
        if [ "$sasl" = plain ]; then
          "stop_$name"
          "launch_$name"
          run_scenario "$name" "${tag}_scram" idle --sessions "$sessions" --sasl scram-sha-1
        fi ;;
      chat|ws-chat) run_scenario "$name" "$tag" chat --pairs "$pairs" --window "$window" --rate "$rate" ;;
      chat-sm-mam)
        run_scenario "$name" "$tag" chat --pairs "$pairs" --window "$window" --rate "$rate" --sm ;;
      presence)
        ready=()
        [ "$rosters_ready" = 1 ] && ready=(--rosters-ready)
        run_scenario "$name" presence presence --roster "$roster" --groups "$groups" "${ready[@]}" ;;
      muc) run_scenario "$name" muc muc --muc-occupants "$muc" ;;
      http)
        [ "$name" = ofs ] && save_http_body
        run_scenario "$name" http http --http-path "$http_path" --http-connections "$http_connections" ;;
      sis)
        # One tag for OFS's cached image and nginx's static copy of it: the table's ratio.
        if [ "$name" = ofs ]; then
          save_sis_body
          run_scenario ofs sis_cached http --http-path "$sis_path" --http-connections "$http_connections"
          drawn_before=$(sis_drawn)
          run_scenario ofs sis_uncached http --http-path "$sis_path" --http-connections "$http_connections" \
            --http-script "$root/tests/bench/sis_vary.lua"
          echo "ofs sis_uncached.drawn $(($(sis_drawn) - drawn_before))" >>"$work/results"
        else
          run_scenario nginx sis_cached http --http-path /sis.png --http-connections "$http_connections"
        fi ;;
    esac
    "stop_$name"
    server_pid=""
  done
done

versions() {
  local v
  echo "OFS $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo '+changes')"
  for p in ejabberd prosody erlang-base nginx wrk; do
    v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo none)
    echo "$p $v"
  done
  echo "kernel $(uname -r), $(nproc) cores: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | sort -u | head -n 1)"
}
{
  say "results: server on CPU $server_cpus ($server_threads threads), generator on CPU $client_cpus, nice $nice"
  versions | sed 's/^/   /'
  echo "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)$( [ -r /proc/pressure/cpu ] && echo ", CPU pressure: $(head -n 1 /proc/pressure/cpu)")"
  echo
  "$root/scripts/bench_table.sh" "$work/results" "$sessions" "$pairs" "$rate" "$roster" "$muc" \
    "$http_path" "$http_connections"
} 2>&1 | tee "$root/$build_dir/bench-results.txt"
echo "(also in $build_dir/bench-results.txt; raw figures: $build_dir/bench-results.raw)" >&2
cp "$work/results" "$root/$build_dir/bench-results.raw"
