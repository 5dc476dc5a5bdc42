# Sourced by scripts/bench.sh: configure_<server> (once), launch_<server> and stop_<server>
# (around each scenario, so that none measures what an earlier one left behind) and
# users_<server> (once, after the first launch) for ofs, ejabberd, Prosody and nginx. Each
# server gets the same settings where they have one: loopback only, plaintext c2s with SASL
# PLAIN allowed (STARTTLS offered, not required), salted SCRAM-SHA-1-style credentials with
# 4096 iterations, warnings-only logs, no traffic shaping, its own embedded default store,
# and the same core count. XMPP over WebSocket (RFC 7395) is plain ws:// on loopback, with
# the same c2s settings.
# The TLS leg (leg=tls) requires STARTTLS on c2s and offers SCRAM-SHA-256 (ejabberd
# auth_scram_hash: sha256, Prosody password_hash = "SHA-256"; both keep one hash per account,
# so their TLS leg has a store of its own); PLAIN is refused without TLS there.
# launch_ starts the durable variant when durable=1: stream management (XEP-0198) and a
# message archive (XEP-0313) of every one-to-one message, each server with its own default
# archive store; otherwise neither where the server lets them be turned off (OFS always
# offers stream management; only clients that enable it pay for it).
# Each launch_ sets pid (the process to measure), port (c2s), ws_port and ws_path
# (WebSocket), http_port (OFS, nginx) and server_pid (to stop); a users_ that also made the
# presence scenario's rosters sets rosters_ready=1.

# --- OFS ----------------------------------------------------------------------------------
configure_ofs() {
  local d=$work/ofs
  cat >"$d/ofs.toml" <<EOF
[server]
domains = ["localhost"]
data_dir = "$d/var"
$([ -n "$ofs_threads" ] && echo "threads = $ofs_threads")
[log]
level = "warn"
[listen]
address = "127.0.0.1"
http = $(echo "$scenarios" | grep -qE 'ws-|http|sis' && echo 0 || echo false)
c2s = 0
c2s_tls = false
https = false
[c2s]
require_tls = false
allow_plain_on_loopback = true
[im]
registration = $([ "$ofs_accounts" = ofsctl ] && echo false || echo true)
# At most 10,000 (the configuration's limit): more accounts come from 127.0.0.2 and so on.
registrations_per_ip_hour = 10000
[limits]
max_connections = $((users + roster_users + 1000))
[muc]
default_occupants = $((muc > 1000 ? muc : 1000))
max_occupants = $((muc > 10000 ? muc : 10000))
[sis]
# The sis scenario: u1 shows as offline to anonymous viewers (a badge with text), and a
# small image cache, which the uncached run's 1,356 variants overflow.
public_by_default = true
cache_bytes = 65536
EOF
  sed -e 's/^require_tls = false/require_tls = true/' -e 's/^allow_plain_on_loopback = true/allow_plain_on_loopback = false/' \
    "$d/ofs.toml" >"$d/ofs-tls.toml"
  grep -q '^require_tls = true' "$d/ofs-tls.toml" || die "no TLS configuration for OFS"
  local v
  for v in "" -tls; do
    cp "$d/ofs$v.toml" "$d/ofs$v-durable.toml"
    printf '[archive]\nenabled = false\n' >>"$d/ofs$v.toml"
    printf '[archive]\nenabled = true\n' >>"$d/ofs$v-durable.toml"
  done
}
# The configuration of this launch: -tls for the TLS leg, -durable for chat-sm-mam.
variant() { echo "$([ "${leg:-plain}" = tls ] && echo -tls)$([ "${durable:-0}" = 1 ] && echo -durable)"; }
leg_suffix() { [ "${leg:-plain}" = tls ] && echo -tls || true; }
launch_ofs() {
  local d=$work/ofs config
  config=$d/ofs$(variant).toml
  # Emptied here, not by the launch's redirection, which the "ready" check could outrun.
  : >"$d/stdout"
  # Not through a shell function: $! must be ofsd itself (nice and taskset exec it).
  nice -n "$nice" "${server_pin[@]}" "$ofsd" --config "$config" >>"$d/stdout" 2>>"$d/log" &
  pid=$! server_pid=$!
  for _ in $(seq 600); do grep -q "^ready" "$d/stdout" 2>/dev/null && break; sleep 0.1; done
  port=$(sed -n 's/^ready.* c2s=\([0-9]*\).*/\1/p' "$d/stdout")
  [ -n "$port" ] || die "ofsd did not start: $(tail -n 5 "$d/log")"
  # Plain ws:// logins are accepted from loopback ([websocket] allow_plain_http_logins).
  http_port=$(sed -n 's/^ready.* http=\([0-9]*\).*/\1/p' "$d/stdout")
  ws_port=$http_port ws_path=/xmpp-websocket
}
save_http_body() {  # OFS's answer at --http-path: nginx serves a file of the same size
  local code
  code=$(curl -s -o "$work/http_body" -w '%{http_code}' "http://127.0.0.1:$http_port$http_path") ||
    die "GET $http_path from OFS failed"
  [ "$code" = 200 ] || die "OFS answers $code to GET $http_path: pick a path it serves (--http-path)"
  echo "   GET $http_path: $(wc -c <"$work/http_body") bytes of body" >&2
}
save_sis_body() {  # the image at --sis-path: nginx serves a PNG of the same bytes at /sis.png
  local code
  code=$(curl -s -o "$work/sis_body" -w '%{http_code}' "http://127.0.0.1:$http_port$sis_path") ||
    die "GET $sis_path from OFS failed"
  [ "$code" = 200 ] || die "OFS answers $code to GET $sis_path"
  echo "   GET $sis_path: $(wc -c <"$work/sis_body") bytes of PNG" >&2
}
sis_drawn() {  # status images drawn since OFS started (its /metrics)
  curl -s "http://127.0.0.1:$http_port/metrics" | sed -n 's/^ofs_sis_images_drawn \([0-9.e+]*\).*/\1/p' |
    awk '{ printf "%d", $1 }'
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
      --roster "$roster" --groups "$groups" --per-source-address 10000 $([ "${leg:-plain}" = tls ] && echo --tls) \
      >"$work/ofs/register.out" 2>&1 ||
      die "in-band registration failed: $(tail -n 3 "$work/ofs/register.out")"
  fi
}
stop_ofs() { stop_pid "$server_pid"; }

# --- ejabberd -----------------------------------------------------------------------------
ejabberdctl_private() {
  HOME=$work/ejabberd on_server_cpus setpriv --reuid ejabberd --regid ejabberd --init-groups \
    /usr/sbin/ejabberdctl --config-dir "$work/ejabberd/conf" --spool "$work/ejabberd/spool$(leg_suffix)" \
    --logs "$work/ejabberd/logs" "$@"
}
configure_ejabberd() {
  local d=$work/ejabberd
  mkdir -p "$d/conf" "$d/spool" "$d/spool-tls" "$d/logs"
  port=$(free_port) api_port=$(free_port) ws_port=$(free_port) ws_path=/ws
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
  # XMPP over WebSocket; its sessions are ejabberd_c2s ones.
  - port: $ws_port
    ip: "127.0.0.1"
    module: ejabberd_http
    backlog: 1024
    request_handlers:
      /ws: ejabberd_http_ws
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
    default_room_options:
      max_users: 100000
EOF
  sed -e 's/starttls_required: false/starttls_required: true/' -e 's/^auth_scram_hash: sha$/auth_scram_hash: sha256/' \
    "$d/conf/ejabberd.yml" >"$d/ejabberd-tls.yml"
  grep -q 'auth_scram_hash: sha256' "$d/ejabberd-tls.yml" || die "no TLS configuration for ejabberd"
  mv "$d/conf/ejabberd.yml" "$d/ejabberd.yml"
  local v
  for v in "" -tls; do
    cp "$d/ejabberd$v.yml" "$d/ejabberd$v-durable.yml"
    printf '  mod_stream_mgmt: {}\n  mod_mam: {default: always}\n' >>"$d/ejabberd$v-durable.yml"
  done
  cat >"$d/conf/ejabberdctl.cfg" <<EOF
ERLANG_NODE=ofsbench$$@localhost
ERL_EPMD_ADDRESS=127.0.0.1
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 $ejabberd_schedulers"
EOF
  echo '{lookup, [file, native]}.' >"$d/conf/inetrc"
  chown -R ejabberd:ejabberd "$d"
}
launch_ejabberd() {
  local d=$work/ejabberd
  install -o ejabberd -g ejabberd -m 600 "$d/ejabberd$(variant).yml" "$d/conf/ejabberd.yml"
  ejabberdctl_private foreground >>"$d/stdout" 2>&1 &
  local launcher=$!
  wait_port "$port" 60 || die "ejabberd did not start: $(tail -n 5 "$d/stdout")"
  pid=$(pgrep -f "beam.smp.*ofsbench$$@localhost" | head -n 1)
  server_pid=$pid
  [ -n "$pid" ] || die "no beam.smp process for ejabberd (launcher $launcher)"
  wait_port "$api_port" 30 || die "ejabberd's HTTP API did not start"
  wait_port "$ws_port" 30 || die "ejabberd's WebSocket listener did not start"
}
users_ejabberd() {
  # ejabberdctl register boots an Erlang node per call (~1.7 s here); the same command
  # through ejabberd's HTTP API (mod_http_api) costs milliseconds, in one curl.
  # Four curls at once: each registration derives the SCRAM key, and ejabberd has more
  # schedulers than one connection keeps busy.
  local cfg=$work/ejabberd/register.curl i
  for i in 0 1 2 3; do
    account_names | awk -v i=$i 'NR % 4 == i' | while read -r u; do
      printf 'next\nurl = "http://127.0.0.1:%s/api/register"\nheader = "Content-Type: application/json"\n' "$api_port"
      printf 'data = "{\\"user\\":\\"%s\\",\\"host\\":\\"localhost\\",\\"password\\":\\"%s\\"}"\n' "$u" "$password"
      printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
    done | tail -n +2 >"$cfg.$i"
  done
  local curls=()
  for i in 0 1 2 3; do
    curl -s -K "$cfg.$i" >"$cfg.$i.codes" &
    curls+=($!)
  done
  wait "${curls[@]}"  # not a bare wait: the server runs in the background too
  local codes
  codes=$(cat "$cfg".?.codes | sort | uniq -c)
  [ "$(echo "$codes" | awk '$2 == 200 {print $1}')" = "$(account_names | wc -l)" ] ||
    die "ejabberd registration: HTTP status counts: $codes"
}
stop_ejabberd() { stop_pid "$server_pid"; }

# --- Prosody ------------------------------------------------------------------------------
configure_prosody() {
  local d=$work/prosody
  mkdir -p "$d/data" "$d/data-tls" "$d/certs"
  port=$(free_port) ws_port=$(free_port) ws_path=/xmpp-websocket
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
-- XMPP over WebSocket (mod_websocket) on a plain HTTP port: as secure as c2s here (loopback),
-- and any Origin (the generator sends none, which Prosody otherwise refuses).
http_ports = { $ws_port }
http_interfaces = { "127.0.0.1" }
https_ports = { }
consider_websocket_secure = true
cross_domain_websocket = true
admin_socket = "$d/admin.sock"
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "blocklist"; "private";
  "vcard"; "time"; "version"; "lastactivity"; "admin_shell"; "posix"; "websocket" }
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
  # The durable variant: mod_smacks and mod_mam (archiving every one-to-one message).
  sed -e 's/"websocket" }/"websocket"; "smacks"; "mam" }/' \
    -e 's/^modules_disabled = .*/&\ndefault_archive_policy = true\narchive_expires_after = "never"/' \
    "$d/prosody.cfg.lua" >"$d/prosody-durable.cfg.lua"
  grep -q '"mam" }' "$d/prosody-durable.cfg.lua" || die "no durable Prosody configuration"
  # The TLS leg: STARTTLS required, SCRAM-SHA-256 (internal_hashed keeps one hash: own data).
  local v
  for v in "" -durable; do
    sed -e "s|^data_path = .*|data_path = \"$d/data-tls\"|" -e 's/^c2s_require_encryption = false/c2s_require_encryption = true/' \
      -e 's/^allow_unencrypted_plain_auth = true/allow_unencrypted_plain_auth = false/' \
      -e 's/^authentication = "internal_hashed"/&\npassword_hash = "SHA-256"/' "$d/prosody$v.cfg.lua" >"$d/prosody-tls$v.cfg.lua"
    grep -q 'password_hash = "SHA-256"' "$d/prosody-tls$v.cfg.lua" || die "no TLS configuration for Prosody"
  done
  chown -R prosody:prosody "$d"
}
launch_prosody() {
  local d=$work/prosody
  nice -n "$nice" "${server_pin[@]}" setpriv --reuid prosody --regid prosody --init-groups \
    prosody --config "$d/prosody$(variant).cfg.lua" -F >>"$d/stdout" 2>&1 &
  pid=$! server_pid=$!
  wait_port "$port" 30 || die "prosody did not start: $(tail -n 5 "$d/stdout" "$d/prosody.log")"
  wait_port "$ws_port" 30 || die "prosody's HTTP port did not open: $(tail -n 5 "$d/prosody.log")"
}
users_prosody() {
  # prosodyctl register loads Prosody per call (~0.2 s); its shell takes one command a line.
  account_names | sed "s/.*/user:create(\"&@localhost\", \"$password\")/" |
    setpriv --reuid prosody --regid prosody --init-groups \
      prosodyctl --config "$work/prosody/prosody$(variant).cfg.lua" shell >"$work/prosody/shell.log" 2>&1
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
      prosodyctl --config "$work/prosody/prosody$(variant).cfg.lua" shell >"$work/prosody/rosters.log" 2>&1
  made=$(grep -c "Result: true" "$work/prosody/rosters.log" || true)
  [ "$made" = "$roster_users" ] || die "prosodyctl shell saved $made rosters: $(tail -n 3 "$work/prosody/rosters.log")"
  rosters_ready=1
}
stop_prosody() { stop_pid "$server_pid"; }

# --- nginx (the http scenario only) -------------------------------------------------------
# Debian's nginx with a private configuration: one worker process, keep-alive without a
# request limit (OFS has none), no access log, a file at --http-path with OFS's body.
configure_nginx() {
  local d=$work/nginx file=$http_path
  mkdir -p "$d/www" "$d/tmp"
  [[ $file == */ ]] && file+=index.html
  mkdir -p "$(dirname "$d/www$file")"
  if [ -s "$work/sis_body" ]; then cp "$work/sis_body" "$d/www/sis.png"; fi
  if [ -s "$work/http_body" ]; then
    cp "$work/http_body" "$d/www$file"
  else
    printf 'ok' >"$d/www$file"
    echo "   OFS not measured first: nginx serves 2 bytes at $http_path" >&2
  fi
  http_port=$(free_port)
  cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
user www-data;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  default_type text/plain;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$http_port;
    root $d/www;
  }
}
EOF
  chmod -R a+rX "$d"
}
launch_nginx() {
  local d=$work/nginx
  nice -n "$nice" "${server_pin[@]}" nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" >>"$d/stdout" 2>&1 &
  server_pid=$!
  wait_port "$http_port" 30 || die "nginx did not start: $(tail -n 5 "$d/error.log" "$d/stdout")"
  # The worker does the work: its memory and CPU are what is measured.
  pid=""
  for _ in $(seq 50); do
    pid=$(pgrep -P "$server_pid" | head -n 1 || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "no nginx worker process"
}
users_nginx() { :; }
stop_nginx() { stop_pid "$server_pid"; }
