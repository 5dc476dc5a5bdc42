# Sourced by scripts/bench.sh: configure_<server> (once), launch_<server> and stop_<server>
# (around each scenario, so that none measures what an earlier one left behind) and
# users_<server> (once, after the first launch) for ofs, ejabberd and Prosody. Each server gets the same settings where they have one: loopback
# only, plaintext c2s with SASL PLAIN allowed (STARTTLS offered, not required), salted
# SCRAM-SHA-1-style credentials with 4096 iterations, warnings-only logs, no traffic
# shaping, its own embedded default store, and the same core count.
# Each launch_ sets pid (the process to measure), port (c2s) and server_pid (to stop); a
# users_ that also made the presence scenario's rosters sets rosters_ready=1.

# --- OFS ----------------------------------------------------------------------------------
configure_ofs() {
  local d=$work/ofs
  cat >"$d/ofs.toml" <<EOF
[server]
domains = ["localhost"]
data_dir = "$d/var"
threads = $server_threads
[log]
level = "warn"
[listen]
address = "127.0.0.1"
http = false
c2s = 0
c2s_tls = false
https = false
[c2s]
require_tls = false
allow_plain_on_loopback = true
[im]
registration = $([ "$ofs_accounts" = ofsctl ] && echo false || echo true)
registrations_per_ip_hour = 10000
[limits]
max_connections = $((users + roster_users + 1000))
EOF
}
launch_ofs() {
  local d=$work/ofs
  # Not through a shell function: $! must be ofsd itself (nice and taskset exec it).
  nice -n "$nice" taskset -c "$server_cpus" "$ofsd" --config "$d/ofs.toml" >"$d/stdout" 2>>"$d/log" &
  pid=$! server_pid=$!
  for _ in $(seq 200); do grep -q '^ready' "$d/stdout" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^ready.* c2s=\([0-9]*\).*/\1/p' "$d/stdout")
  [ -n "$port" ] || die "ofsd did not start: $(tail -n 5 "$d/log")"
}
users_ofs() {
  # ofsctl adduser starts a process per account (~60 ms of CPU here: 5,000 accounts take
  # minutes), so by default the accounts come over XMPP (XEP-0077, OFS's own registration
  # code, the same SCRAM derivation as ofsctl); --ofs-accounts ofsctl uses the tool.
  if [ "$ofs_accounts" = ofsctl ]; then
    account_names | xargs -P 2 -I{} "$ofsctl" --config "$work/ofs/ofs.toml" adduser "{}@localhost" "$password" \
      >"$work/ofs/adduser.log" 2>&1 || die "ofsctl adduser failed: $(tail -n 3 "$work/ofs/adduser.log")"
  else
    on_client_cpus "$bench" register --port "$port" --password "$password" --sessions "$users" \
      --roster "$roster" --groups "$groups" >"$work/ofs/register.out" 2>&1 ||
      die "in-band registration failed: $(tail -n 3 "$work/ofs/register.out")"
  fi
}
stop_ofs() { stop_pid "$server_pid"; }

# --- ejabberd -----------------------------------------------------------------------------
ejabberdctl_private() {
  HOME=$work/ejabberd on_server_cpus setpriv --reuid ejabberd --regid ejabberd --init-groups \
    /usr/sbin/ejabberdctl --config-dir "$work/ejabberd/conf" --spool "$work/ejabberd/spool" \
    --logs "$work/ejabberd/logs" "$@"
}
configure_ejabberd() {
  local d=$work/ejabberd
  mkdir -p "$d/conf" "$d/spool" "$d/logs"
  port=$(free_port) api_port=$(free_port)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 7 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,DNS:conference.localhost" 2>/dev/null
  cat "$d/cert.pem" "$d/key.pem" >"$d/conf/server.pem"
  cat >"$d/conf/ejabberd.yml" <<EOF
loglevel: warning
log_rotate_count: 0
hosts: [localhost]
certfiles: ["$d/conf/server.pem"]
listen:
  - port: $port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    starttls: true
    starttls_required: false
    backlog: 1024
  - port: $api_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
# The default of 1,000 entries is smaller than the benchmark's accounts; ejabberd's log
# says to raise it ("Shrinking cache ... you should increase maximum cache size").
cache_size: 20000
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha
access_rules:
  c2s: {allow: all}
  muc_create: {allow: all}
api_permissions:
  "console commands":
    from: [ejabberd_ctl]
    who: all
    what: "*"
  "account creation from loopback":
    from: [mod_http_api]
    who:
      ip: 127.0.0.0/8
    what: [register]
shaper_rules:
  max_user_sessions: 10
modules:
  mod_disco: {}
  mod_roster: {}
  mod_ping: {}
  mod_privacy: {}
  mod_blocking: {}
  mod_private: {}
  mod_vcard: {}
  mod_time: {}
  mod_version: {}
  mod_last: {}
  mod_offline: {}
  mod_muc:
    host: "conference.localhost"
    access_create: muc_create
    max_users: 100000
    history_size: 0
EOF
  cat >"$d/conf/ejabberdctl.cfg" <<EOF
ERLANG_NODE=ofsbench$$@localhost
ERL_EPMD_ADDRESS=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 +S $server_threads:$server_threads"
EOF
  echo '{lookup, [file, native]}.' >"$d/conf/inetrc"
  chown -R ejabberd:ejabberd "$d"
}
launch_ejabberd() {
  local d=$work/ejabberd
  ejabberdctl_private foreground >>"$d/stdout" 2>&1 &
  local launcher=$!
  wait_port "$port" 60 || die "ejabberd did not start: $(tail -n 5 "$d/stdout")"
  pid=$(pgrep -f "beam.smp.*ofsbench$$@localhost" | head -n 1)
  server_pid=$pid
  [ -n "$pid" ] || die "no beam.smp process for ejabberd (launcher $launcher)"
  wait_port "$api_port" 30 || die "ejabberd's HTTP API did not start"
}
users_ejabberd() {
  # ejabberdctl register boots an Erlang node per call (~1.7 s here); the same command
  # through ejabberd's HTTP API (mod_http_api) costs milliseconds, in one curl.
  local cfg=$work/ejabberd/register.curl
  account_names | while read -r u; do
    printf 'next\nurl = "http://127.0.0.1:%s/api/register"\nheader = "Content-Type: application/json"\n' "$api_port"
    printf 'data = "{\\"user\\":\\"%s\\",\\"host\\":\\"localhost\\",\\"password\\":\\"%s\\"}"\n' "$u" "$password"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
  done | tail -n +2 >"$cfg"
  local codes
  codes=$(curl -s -K "$cfg" | sort | uniq -c)
  [ "$(echo "$codes" | awk '$2 == 200 {print $1}')" = "$(account_names | wc -l)" ] ||
    die "ejabberd registration: HTTP status counts: $codes"
}
stop_ejabberd() { stop_pid "$server_pid"; }

# --- Prosody ------------------------------------------------------------------------------
configure_prosody() {
  local d=$work/prosody
  mkdir -p "$d/data" "$d/certs"
  port=$(free_port)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/certs/localhost.key" \
    -out "$d/certs/localhost.crt" -days 7 -subj /CN=localhost 2>/dev/null
  cat >"$d/prosody.cfg.lua" <<EOF
pidfile = "$d/prosody.pid"
data_path = "$d/data"
daemonize = false
interfaces = { "127.0.0.1" }
c2s_ports = { $port }
c2s_direct_tls_ports = { }
s2s_ports = { }
network_settings = { tcp_backlog = 1024 }
admin_socket = "$d/admin.sock"
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "blocklist"; "private";
  "vcard"; "time"; "version"; "lastactivity"; "admin_shell"; "posix" }
modules_disabled = { "s2s" }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
default_iteration_count = 4096
log = { warn = "$d/prosody.log" }
certificates = "$d/certs"
VirtualHost "localhost"
Component "conference.localhost" "muc"
  muc_room_locking = false
EOF
  chown -R prosody:prosody "$d"
}
launch_prosody() {
  local d=$work/prosody
  nice -n "$nice" taskset -c "$server_cpus" setpriv --reuid prosody --regid prosody --init-groups \
    prosody --config "$d/prosody.cfg.lua" -F >>"$d/stdout" 2>&1 &
  pid=$! server_pid=$!
  wait_port "$port" 30 || die "prosody did not start: $(tail -n 5 "$d/stdout" "$d/prosody.log")"
}
users_prosody() {
  # prosodyctl register loads Prosody per call (~0.2 s); its shell takes one command a line.
  account_names | sed "s/.*/user:create(\"&@localhost\", \"$password\")/" |
    setpriv --reuid prosody --regid prosody --init-groups \
      prosodyctl --config "$work/prosody/prosody.cfg.lua" shell >"$work/prosody/shell.log" 2>&1
  local made
  made=$(grep -c "OK: User created" "$work/prosody/shell.log" || true)
  [ "$made" = "$(account_names | wc -l)" ] || die "prosodyctl shell created $made accounts: $(tail -n 3 "$work/prosody/shell.log")"
  # Rosters through the same shell (Lua on Prosody's own rostermanager), not over XMPP:
  # there each subscription change rewrites the user's whole roster file, ~130 a second
  # here, which takes minutes for G cliques of R+1 users.
  awk -v n="$roster_users" -v size=$((roster + 1)) 'BEGIN {
    for (i = 0; i < n; i++) {
      line = "> local rm = require \"core.rostermanager\"; local r = rm.load_roster(\"p" i + 1 "\", \"localhost\");"
      first = int(i / size) * size
      for (j = first; j < first + size; j++)
        if (j != i) line = line " r[\"p" j + 1 "@localhost\"] = { subscription = \"both\", groups = {} };"
      print line " return rm.save_roster(\"p" i + 1 "\", \"localhost\", r)"
    }
  }' | setpriv --reuid prosody --regid prosody --init-groups \
      prosodyctl --config "$work/prosody/prosody.cfg.lua" shell >"$work/prosody/rosters.log" 2>&1
  made=$(grep -c "Result: true" "$work/prosody/rosters.log" || true)
  [ "$made" = "$roster_users" ] || die "prosodyctl shell saved $made rosters: $(tail -n 3 "$work/prosody/rosters.log")"
  rosters_ready=1
}
stop_prosody() { stop_pid "$server_pid"; }
