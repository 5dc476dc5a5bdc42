#!/usr/bin/env bash
# Measures OFS, ejabberd and Prosody on this machine in one run, with the same loads, and
# prints one table: XMPP over TCP and over WebSocket, and OFS's HTTP listener beside nginx.
# Installs ejabberd, Prosody (and nginx and wrk for the http scenario) from Debian when
# missing (their system services stay off), builds OFS and its load generator (tests/bench,
# ofs_bench), then for each server: a private configuration and data in a temp dir,
# foreground on loopback on a free port, the same accounts made with the server's own tool,
# the same scenarios.
# By default each server gets CPU 0 and the generator CPU 1 (taskset): one core each;
# --placement unpinned runs the server on its default threads beside the generator, as users
# run it. --tls both runs every scenario in plaintext and over STARTTLS with SCRAM-SHA-256 in
# one run and prints the two side by side; the storm scenario is TLS only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

sessions=5000 pairs=50 window=16 rate=5000 duration=10 warmup=2
roster=50 groups=4 muc=100 login_concurrency=50
http_path=/index.html http_connections=50 sis_path="/sis/u1@localhost.png?size=32&style=badge"
servers="ofs ejabberd prosody nginx" scenarios="idle chat chat-sm-mam presence muc" server_cpus=0 client_cpus=1 nice=0 tls=off sasl=plain keep=0 ofs_accounts=xmpp
tls_sasl=scram-sha-256 tls_sessions="" placement=pinned ofs_threads=""
storm_accounts=10000 storm_concurrency=500 storm_pairs=500 storm_rate=2000

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
  --scenarios LIST  any of: idle chat chat-sm-mam presence muc storm ws-idle ws-chat http sis
                    ("$scenarios")
                    storm: storm accounts log in once over TLS, leave, then reconnect at once
                    while other sessions chat (TLS only: needs --tls on or both)
                    chat-sm-mam: chat with stream management on every client and every
                    message archived; chat has neither
                    sis: status images, cached (one URL) and uncached (options varied),
                    beside nginx serving a static PNG of the same size
                    ws-*: idle and chat over WebSocket (RFC 7395) instead of c2s
  --http-path P     http: the path OFS serves, and nginx a file of the same size ($http_path)
  --http-connections N  http: keep-alive connections of wrk ($http_connections)
  --sis-path P      sis: the image OFS serves ($sis_path)
  --placement P     pinned: server on --server-cpus with as many threads, generator on
                    --client-cpus; unpinned: no pinning, each server on its default
                    threads (OFS [server] threads, ejabberd's schedulers), as users run them ($placement)
  --ofs-threads N   OFS's [server] threads (default: one per server CPU when pinned, OFS's
                    default when unpinned)
  --server-cpus L   CPUs for the server (taskset list)      ($server_cpus)
  --client-cpus L   CPUs for the generator                  ($client_cpus)
  --nice N          niceness of servers and generator, e.g. -10 on a busy machine ($nice)
  --tls [W]          off, on or both (plaintext and TLS legs in one run); alone: on ($tls)
                    TLS: STARTTLS required by every server, SASL --tls-sasl
  --tls-sasl M      SASL of the TLS leg: scram-sha-256 or scram-sha-1 ($tls_sasl)
  --tls-sessions N  idle sessions of the TLS leg (default: --sessions)
  --sasl M          plaintext leg: plain, scram-sha-1 or scram-sha-256 ($sasl)
  --storm-accounts N     storm: accounts that reconnect at once ($storm_accounts)
  --storm-concurrency N  storm: logins in flight ($storm_concurrency)
  --storm-pairs K        storm: pairs chatting meanwhile ($storm_pairs)
  --storm-rate R         storm: their total msg/s ($storm_rate)
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
    --placement) placement=$2; shift 2 ;;
    --ofs-threads) ofs_threads=$2; shift 2 ;;
    --tls-sasl) tls_sasl=$2; shift 2 ;;
    --tls-sessions) tls_sessions=$2; shift 2 ;;
    --storm-accounts) storm_accounts=$2; shift 2 ;;
    --storm-concurrency) storm_concurrency=$2; shift 2 ;;
    --storm-pairs) storm_pairs=$2; shift 2 ;;
    --storm-rate) storm_rate=$2; shift 2 ;;
    --client-cpus) client_cpus=$2; shift 2 ;;
    --nice) nice=$2; shift 2 ;;
    --tls) case ${2:-} in off|on|both) tls=$2; shift 2 ;; *) tls=on; shift ;; esac ;;
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
  case $s in idle|chat|chat-sm-mam|presence|muc|storm|ws-idle|ws-chat|http|sis) ;; *) die "unknown scenario $s" ;; esac
done
case $placement in pinned|unpinned) ;; *) die "--placement is pinned or unpinned" ;; esac
case $tls in off) legs=plain ;; on) legs=tls ;; both) legs="plain tls" ;; *) die "--tls is off, on or both" ;; esac
case $sasl in plain|scram-sha-1|scram-sha-256) ;; *) die "--sasl is plain, scram-sha-1 or scram-sha-256" ;; esac
case $tls_sasl in scram-sha-1|scram-sha-256) ;; *) die "--tls-sasl is scram-sha-1 or scram-sha-256" ;; esac
tls_sessions=${tls_sessions:-$sessions}
for s in $servers; do
  case $s in ofs|ejabberd|prosody|nginx) ;; *) die "unknown server $s" ;; esac
done
[[ $http_path == /* ]] || die "--http-path must start with /"
has_word() { [[ " $1 " == *" $2 "* ]]; }
if has_word "$scenarios" http || has_word "$scenarios" sis; then want_http=1; else want_http=0; fi
# nginx is only there for the http and sis scenarios.
[ $want_http = 1 ] || servers=$(echo " $servers " | sed 's/ nginx / /; s/^ *//; s/ *$//')
has_word "$scenarios" storm && [ "$tls" = off ] && die "the storm scenario is TLS only: add --tls on or --tls both"
run_started=$(date +%s)

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

# Pinned: the server gets --server-cpus and as many threads (ejabberd's +S, OFS's threads);
# unpinned: nothing is pinned and each server keeps its default threads.
if [ $placement = pinned ]; then
  server_threads=$(taskset -c "$server_cpus" nproc)
  server_pin=(taskset -c "$server_cpus") client_pin=(taskset -c "$client_cpus")
  ofs_threads=${ofs_threads:-$server_threads} ejabberd_schedulers="+S $server_threads:$server_threads"
else
  server_threads="default" server_pin=() client_pin=() ejabberd_schedulers=""
fi
users=$sessions
[ "$tls_sessions" -gt $users ] && users=$tls_sessions
# The storm's accounts follow its chatting pairs' (u1..u<2 pairs>, then the storm's).
if has_word "$scenarios" storm && [ $((2 * storm_pairs + storm_accounts)) -gt $users ]; then
  users=$((2 * storm_pairs + storm_accounts))
fi
[ $((2 * pairs)) -gt $users ] && users=$((2 * pairs))
[ "$muc" -gt $users ] && users=$muc
roster_users=$((groups * (roster + 1)))
password=bench-pw

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
on_server_cpus() { nice -n "$nice" "${server_pin[@]}" "$@"; }
on_client_cpus() { nice -n "$nice" "${client_pin[@]}" "$@"; }
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
  local tls_flag=() target_port=$port ws=() leg_sasl=$sasl
  case $listener in
    ws) target_port=$ws_port ws=(--transport ws --ws-path "$ws_path") ;;
    http) target_port=$http_port ;;
    c2s) [ "$leg" = tls ] && tls_flag=(--tls) leg_sasl=$tls_sasl ;;  # STARTTLS exists on c2s only
  esac
  if ! on_client_cpus "$bench" "$scenario" --port "$target_port" --server-pid "$pid" \
      --password "$password" --duration "$duration" --warmup "$warmup" \
      --login-concurrency "$login_concurrency" --sasl "$leg_sasl" "${tls_flag[@]}" "${ws[@]}" "$@" >"$out" 2>"$out.err"; then
    echo "   $tag did not complete: $(tail -n 3 "$out.err" "$out" | grep -v '^result' | tr '\n' ' ')" >&2
    echo "result $scenario.failed 1" >>"$out"
  fi
  grep '^#' "$out" | sed 's/^/   /' >&2 || true
  grep '^result ' "$out" | sed "s/^result $scenario\./$name $tag./" >>"$work/results" || true
}

: >"$work/results"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)$( [ -r /proc/pressure/cpu ] && echo ", CPU pressure: $(head -n 1 /proc/pressure/cpu)")" >&2
declare -A accounts_made=() rosters_made=()
for name in $servers; do
  say "$name"
  mkdir -p "$work/$name"
  port="" ws_port="" ws_path="" http_port=""
  "configure_$name"
  launched=0
  for leg in $legs; do
  # ejabberd and Prosody keep one SCRAM hash per account: the TLS leg (SCRAM-SHA-256) has a
  # store of its own there. OFS keeps SHA-1 and SHA-256 keys and uses one store for both.
  case $name in ejabberd|prosody) store=$name/$leg ;; *) store=$name ;; esac
  [ "$leg" = tls ] && say "$name over TLS ($tls_sasl, STARTTLS required)"
  for scenario in $scenarios; do
    # nginx serves HTTP only; ejabberd and Prosody are not measured as HTTP servers.
    is_http=0
    case $scenario in http|sis) is_http=1 ;; esac
    if [ "$name" = nginx ] && [ $is_http = 0 ]; then continue; fi
    if [ $is_http = 1 ] && [ "$name" != nginx ] && [ "$name" != ofs ]; then continue; fi
    # The TLS leg is STARTTLS on c2s; WebSocket and HTTP run in plaintext only, the storm
    # in TLS only.
    case $scenario in ws-*|http|sis) [ "$leg" = tls ] && continue ;; storm) [ "$leg" = tls ] || continue ;; esac
    # A fresh process for each scenario, on the same data: Prosody, for one, is several
    # times slower once 5,000 sessions have come and gone (docs/benchmarks.md).
    durable=0
    [ "$scenario" = chat-sm-mam ] && durable=1
    "launch_$name"  # sets pid (the process whose memory and CPU are read), port, ws_port, ws_path, http_port
    if [ $launched = 0 ]; then
      echo "   pid $pid${port:+, c2s port $port}${ws_port:+, WebSocket ws://127.0.0.1:$ws_port$ws_path}${http_port:+, HTTP port $http_port}" >&2
      launched=1
    fi
    if [ -z "${accounts_made[$store]:-}" ] && [ $is_http = 0 ]; then
      echo "   $(account_names | wc -l) accounts" >&2
      t0=$(date +%s)
      rosters_ready=0
      "users_$name"
      [ $rosters_ready = 1 ] && rosters_made[$store]=1
      echo "   accounts made in $(($(date +%s) - t0)) s" >&2
      accounts_made[$store]=1
    fi
    case $scenario in
      ws-*) listener=ws ;;
      http|sis) listener=http ;;
      *) listener=c2s ;;
    esac
    tag=${scenario//-/_}
    [ "$leg" = tls ] && [ "$scenario" != storm ] && tag=tls_$tag
    case $scenario in
      idle|ws-idle)
        if [ "$leg" = tls ]; then
          run_scenario "$name" "$tag" idle --sessions "$tls_sessions"
        else
          run_scenario "$name" "$tag" idle --sessions "$sessions"
        fi
        # With PLAIN the server derives the key at each login; a server that keeps what
        # that leaves in each session (ejabberd) looks bigger than it is: SCRAM as well.
        if [ "$leg" = plain ] && [ "$sasl" = plain ]; then
          "stop_$name"
          "launch_$name"
          run_scenario "$name" "${tag}_scram" idle --sessions "$sessions" --sasl scram-sha-1
        fi ;;
      chat|ws-chat) run_scenario "$name" "$tag" chat --pairs "$pairs" --window "$window" --rate "$rate" ;;
      chat-sm-mam)
        run_scenario "$name" "$tag" chat --pairs "$pairs" --window "$window" --rate "$rate" --sm ;;
      presence)
        ready=()
        [ -n "${rosters_made[$store]:-}" ] && ready=(--rosters-ready)
        run_scenario "$name" "$tag" presence --roster "$roster" --groups "$groups" "${ready[@]}"
        grep -q "^$name $tag.deliveries_per_s" "$work/results" && rosters_made[$store]=1 ;;
      # Entering costs occupants^2 presences: 100 million for 10,000, minutes on any server.
      muc) run_scenario "$name" "$tag" muc --muc-occupants "$muc" --timeout $((180 + muc * muc / 100000)) ;;
      storm)
        run_scenario "$name" storm storm --storm-accounts "$storm_accounts" --storm-pairs "$storm_pairs" \
          --storm-rate "$storm_rate" --storm-concurrency "$storm_concurrency" ;;
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
  if [ $placement = pinned ]; then
    say "results: pinned: server on CPU $server_cpus ($server_threads threads), generator on CPU $client_cpus, nice $nice"
  else
    say "results: unpinned: server and generator on any of the $(nproc) CPUs; OFS threads ${ofs_threads:-default (one per CPU)}, ejabberd's default schedulers, Prosody as is; nice $nice"
  fi
  echo "   legs: $legs$(has_word "$legs" tls && echo " (TLS: STARTTLS required, SASL $tls_sasl, $tls_sessions idle sessions)")"
  has_word "$scenarios" storm && echo "   storm: $storm_accounts accounts reconnecting, $storm_concurrency in flight, while $storm_pairs pairs chat at $storm_rate msg/s in total"
  echo "   wall time of the run so far: $(( ($(date +%s) - run_started) / 60 )) min $(( ($(date +%s) - run_started) % 60 )) s"
  versions | sed 's/^/   /'
  echo "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)$( [ -r /proc/pressure/cpu ] && echo ", CPU pressure: $(head -n 1 /proc/pressure/cpu)")"
  echo
  "$root/scripts/bench_table.sh" "$work/results" "$sessions" "$pairs" "$rate" "$roster" "$muc" \
    "$http_path" "$http_connections" "$tls_sasl" "$tls_sessions"
} 2>&1 | tee "$root/$build_dir/bench-results.txt"
echo "(also in $build_dir/bench-results.txt; raw figures: $build_dir/bench-results.raw)" >&2
cp "$work/results" "$root/$build_dir/bench-results.raw"
