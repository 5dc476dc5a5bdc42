#!/usr/bin/env bash
# Prints scripts/bench.sh's table from its raw results ("<server> <key> <value>" lines).
# usage: bench_table.sh RESULTS SESSIONS PAIRS RATE ROSTER MUC [HTTP_PATH HTTP_CONNECTIONS
#        TLS_SASL TLS_SESSIONS]
# A row appears when some server has a figure for it, a column when its server was run.
# With TLS figures (tls_* keys, --tls on or both) a table of plaintext and TLS side by side
# comes first, then the login storm's and the distance to the aims of "Performance as users
# deploy it"; the full plaintext table follows.
set -euo pipefail
results=$1 sessions=$2 pairs=$3 rate=$4 roster=$5 muc=$6 http_path=${7:-/health} http_connections=${8:-50}
tls_sasl=${9:-scram-sha-256} tls_sessions=${10:-$sessions}

awk -v sessions="$sessions" -v pairs="$pairs" -v rate="$rate" -v roster="$roster" -v muc="$muc" \
    -v http_path="$http_path" -v http_connections="$http_connections" -v tls_sasl="$tls_sasl" \
    -v tls_sessions="$tls_sessions" '
  { v[$1 "|" $2] = $3; ran[$1] = 1; if ($2 ~ /^(tls_|storm\.)/) have_tls = 1 }
  function cell(server, key,   x) {
    x = v[server "|" key]
    if (x == "") return v[server "|" failed_key(key)] != "" ? "failed" : "-"
    if (x == "n/a") return "n/a"
    # A scenario that did not end cleanly (a loss, a timeout) keeps its figures, marked.
    if (v[server "|" failed_key(key)] == "") return fmt(x)
    marked = 1
    return fmt(x) "*"
  }
  function failed_key(key) { split(key, p, "."); return p[1] ".failed" }
  function fmt(x) { return x >= 1000 ? sprintf("%.0f", x) : (x >= 10 ? sprintf("%.1f", x) : sprintf("%.2f", x)) }
  function num(s) { return s ~ /^[0-9.]+\*?$/ }
  # A figure, or a failed run of its scenario (only_figures: a figure).
  function present(key, only_figures,   i) {
    for (i = 1; i <= nservers; i++)
      if (v[servers[i] "|" key] != "" || (!only_figures && v[servers[i] "|" failed_key(key)] != "")) return 1
    return 0
  }
  # OFS divided by the best of the others (the highest, or the lowest for costs).
  function ratio(key, lower,   i, o, best, x) {
    o = cell("ofs", key)
    if (!num(o)) return "n/a"
    best = ""
    for (i = 2; i <= nservers; i++) {
      if (!num(cell(servers[i], key))) continue
      x = v[servers[i] "|" key]
      if (best == "" || (lower ? x + 0 < best + 0 : x + 0 > best + 0)) best = x
    }
    if (best == "" || best == 0) return "n/a"
    return sprintf("%.2f", v["ofs|" key] / best) (lower ? " (lower is better)" : "")
  }
  function per_cpu(rate, cpu, key,   i, r, c) {
    for (i = 1; i <= nservers; i++) {
      r = v[servers[i] "|" rate]; c = v[servers[i] "|" cpu]
      if (r != "" && r != "n/a" && c + 0 > 0) v[servers[i] "|" key] = r / (c / 100)
    }
  }
  function cells(key,   i, line) {
    line = ""
    for (i = 1; i <= nservers; i++) line = line sprintf(" %9s |", cell(servers[i], key))
    return line
  }
  function row(label, key, lower) {
    if (!present(key)) return
    printf "| %-56s |%s %-24s |\n", label, cells(key), ratio(key, lower)
  }
  function plain(label, key) {
    if (!present(key, 1)) return
    printf "| %-56s |%s\n", label, cells(key)
  }
  function header(first, last,   i, line, rule) {
    line = sprintf("| %-56s |", first); rule = "|----------------------------------------------------------|"
    for (i = 1; i <= nservers; i++) { line = line sprintf(" %9s |", names[i]); rule = rule "-----------|" }
    if (last != "") { line = line sprintf(" %-24s |", last); rule = rule "--------------------------|" }
    print line; print rule
  }
  # Plaintext and TLS side by side: two figures per server, OFS / best of the others in
  # each, and the TLS figure of OFS over its plaintext one.
  function pair_header(   i, line, rule) {
    line = sprintf("| %-52s |", "scenario (plaintext, TLS)"); rule = "|------------------------------------------------------|"
    for (i = 1; i <= nservers; i++) {
      line = line sprintf(" %9s | %9s |", names[i], names[i] " TLS"); rule = rule "-----------|-----------|"
    }
    print line " OFS/best | OFS/best TLS | OFS TLS/plain |"
    print rule "----------|--------------|---------------|"
  }
  function pair_row(label, pkey, tkey, lower,   i, line, o, t) {
    if (!present(pkey) && !present(tkey)) return
    line = sprintf("| %-52s |", label)
    for (i = 1; i <= nservers; i++) line = line sprintf(" %9s | %9s |", cell(servers[i], pkey), cell(servers[i], tkey))
    o = v["ofs|" pkey]; t = v["ofs|" tkey]
    printf "%s %8s | %12s | %13s |\n", line, short(ratio(pkey, lower)), short(ratio(tkey, lower)),
      (o + 0 > 0 && t != "" && t != "n/a") ? sprintf("%.2f", t / o) : "n/a"
  }
  function short(r) { sub(/ \(lower is better\)/, " (l)", r); return r }
  function aim(text) { print "- " text }
  function met(ok) { return ok ? "met" : "not met" }
  function tls_tables(   x, y, e) {
    per_cpu("tls_chat.max_msg_per_s", "tls_chat.max.server_cpu_pct", "tls_chat.max_per_cpu_s")
    per_cpu("storm.login_rate", "storm.during.server_cpu_pct", "storm.per_cpu_s")
    print "TLS as users run it: plaintext (PLAIN; SCRAM-SHA-1 where said) and TLS (STARTTLS required, SASL " toupper(tls_sasl) "), side by side."
    print "(l): lower is better. OFS TLS/plain: OFS with TLS over OFS in plaintext."
    print ""
    pair_header()
    pair_row("(a) memory per idle session, KiB (SCRAM; TLS: " tls_sessions ")", "idle_scram.rss_kib_per_session", "tls_idle.rss_kib_per_session", 1)
    pair_row("(a) login rate, first SCRAM logins, sessions/s", "idle_scram.login_rate", "tls_idle.login_rate", 0)
    pair_row("(b) chat max throughput, msg/s (" pairs " pairs)", "chat.max_msg_per_s", "tls_chat.max_msg_per_s", 0)
    pair_row("(b) same, per CPU-second of the server", "chat.max_per_cpu_s", "tls_chat.max_per_cpu_s", 0)
    pair_row("(b) chat p50 at " rate " msg/s, ms", "chat.paced_p50_ms", "tls_chat.paced_p50_ms", 1)
    pair_row("(b) chat p99 at " rate " msg/s, ms", "chat.paced_p99_ms", "tls_chat.paced_p99_ms", 1)
    pair_row("(b2) chat with SM and MAM: max throughput, msg/s", "chat_sm_mam.max_msg_per_s", "tls_chat_sm_mam.max_msg_per_s", 0)
    pair_row("(b2) chat with SM and MAM: p99 at " rate " msg/s, ms", "chat_sm_mam.paced_p99_ms", "tls_chat_sm_mam.paced_p99_ms", 1)
    pair_row("(c) presence deliveries/s (" roster " contacts)", "presence.deliveries_per_s", "tls_presence.deliveries_per_s", 0)
    pair_row("(d) MUC deliveries/s (" muc " occupants)", "muc.deliveries_per_s", "tls_muc.deliveries_per_s", 0)
    pair_row("(d) MUC memory per occupant (KiB)", "muc.rss_kib_per_occupant", "tls_muc.rss_kib_per_occupant", 1)
    if (present("storm.login_rate") || present("storm.first_login_rate")) {
      print ""
      print "(h) Login storm over TLS (" toupper(tls_sasl) "): every storm account logged in once before (keys and tickets kept),"
      print "then all reconnect at once while the chatting sessions go on; storm = first connect to last login done."
      print ""
      header("storm", "OFS / best of the others")
      row("first logins (client derives keys), sessions/s", "storm.first_login_rate", 0)
      row("storm duration, s", "storm.duration_s", 1)
      row("storm logins/s", "storm.login_rate", 0)
      row("storm logins per CPU-second of the server (with chat)", "storm.per_cpu_s", 0)
      row("resumed TLS handshakes", "storm.resumed", 0)
      plain("full TLS handshakes", "storm.full_handshakes")
      plain("SCRAM logins with cached client keys", "storm.scram_keys_reused")
      plain("failed logins (storm)", "storm.failed_logins")
      plain("failed logins (first logins)", "storm.first_failed_logins")
      row("chatting p50 before the storm, ms", "storm.before_p50_ms", 1)
      row("chatting p99 before the storm, ms", "storm.before_p99_ms", 1)
      row("chatting max before the storm, ms", "storm.before_max_ms", 1)
      row("chatting p50 during the storm, ms", "storm.during_p50_ms", 1)
      row("chatting p99 during the storm, ms", "storm.during_p99_ms", 1)
      row("chatting max during the storm, ms", "storm.during_max_ms", 1)
      plain("chat messages lost", "storm.chat_lost")
      plain("chatting sessions dropped", "storm.chat_lost_sessions")
      plain("generator CPU %, storm (both threads)", "storm.during.gen_cpu_pct")
      plain("generator storm thread CPU %, storm", "storm.during.storm_thread_cpu_pct")
      plain("generator chat thread CPU %, storm", "storm.during.chat_thread_cpu_pct")
      plain("server CPU %, storm", "storm.during.server_cpu_pct")
      plain("other processes CPU %, storm", "storm.during.others_cpu_pct")
      plain("generator CPU %, before the storm", "storm.before.gen_cpu_pct")
      plain("server CPU %, before the storm", "storm.before.server_cpu_pct")
      plain("other processes CPU %, before the storm", "storm.before.others_cpu_pct")
      plain("generator CPU %, first logins", "storm.first.gen_cpu_pct")
      plain("server CPU %, first logins", "storm.first.server_cpu_pct")
    }
    print ""
    print "Distance to the aims (OFS):"
    x = v["ofs|tls_idle.rss_kib_per_session"]
    if (x != "") aim(sprintf("idle TLS session at most 16 KiB: %.1f KiB, %.2f of the aim: %s", x, x / 16, met(x <= 16)))
    x = v["ofs|tls_chat.max_msg_per_s"]; y = v["ofs|chat.max_msg_per_s"]
    if (x != "" && y + 0 > 0) aim(sprintf("TLS msg/s at least half of plaintext: %.0f / %.0f = %.2f (aim 0.50): %s", x, y, x / y, met(x / y >= 0.5)))
    x = v["ofs|tls_chat.max_per_cpu_s"]; y = v["ofs|chat.max_per_cpu_s"]
    if (x != "" && y + 0 > 0) aim(sprintf("the same per CPU-second of the server (a shared machine gives each run its own share): %.0f / %.0f = %.2f: %s", x, y, x / y, met(x / y >= 0.5)))
    x = v["ofs|storm.login_rate"]; e = v["ejabberd|storm.login_rate"]
    if (x != "" && e + 0 > 0) aim(sprintf("storm at 3x ejabberd'"'"'s rate: %.0f / %.0f logins/s = %.2fx (aim 3x): %s", x, e, x / e, met(x / e >= 3)))
    x = v["ofs|storm.per_cpu_s"]; e = v["ejabberd|storm.per_cpu_s"]
    if (x != "" && e + 0 > 0) aim(sprintf("the same per CPU-second of the server: %.0f / %.0f = %.2fx", x, e, x / e))
    x = v["ofs|storm.during_p99_ms"]
    if (x != "") aim(sprintf("chatting p99 under 5 ms during the storm: %.2f ms: %s", x, met(x < 5)))
    x = v["ofs|chat.paced_p99_ms"]
    if (x != "") aim(sprintf("p99 at most 0.5 ms at " rate " msg/s, plaintext: %.2f ms: %s", x, met(x <= 0.5 && rate >= 5000)))
    x = v["ofs|tls_chat.paced_p99_ms"]
    if (x != "") aim(sprintf("p99 at most 0.5 ms at " rate " msg/s, TLS: %.2f ms: %s", x, met(x <= 0.5 && rate >= 5000)))
    print ""
    print "All figures:"
    print ""
  }
  END {
    # OFS first (the numerator of the ratio), then each other server that was run.
    n = split("ofs ejabberd prosody nginx", all, " "); split("OFS ejabberd Prosody nginx", label, " ")
    for (i = 1; i <= n; i++)
      if (i == 1 || ran[all[i]]) { servers[++nservers] = all[i]; names[nservers] = label[i] }
    # Throughput per CPU-second the server got: on a shared machine a server may get much less
    # than its core, and this tells its efficiency apart from its share.
    per_cpu("chat.max_msg_per_s", "chat.max.server_cpu_pct", "chat.max_per_cpu_s")
    per_cpu("chat_sm_mam.max_msg_per_s", "chat_sm_mam.max.server_cpu_pct", "chat_sm_mam.max_per_cpu_s")
    # What stream management and archiving keep of the plain chat throughput, per server.
    for (i = 1; i <= nservers; i++) {
      r = v[servers[i] "|chat_sm_mam.max_msg_per_s"]; c = v[servers[i] "|chat.max_msg_per_s"]
      if (r != "" && c + 0 > 0) v[servers[i] "|chat_sm_mam.kept_pct"] = 100 * r / c
    }
    per_cpu("ws_chat.max_msg_per_s", "ws_chat.max.server_cpu_pct", "ws_chat.max_per_cpu_s")
    per_cpu("http.requests_per_s", "http.server_cpu_pct", "http.per_cpu_s")
    if (have_tls) tls_tables()
    header("scenario", "OFS / best of the others")
    row("(a) memory per idle session, KiB (" sessions ", PLAIN)", "idle.rss_kib_per_session", 1)
    row("(a) login rate (PLAIN), sessions/s", "idle.login_rate", 0)
    row("(a) same, SCRAM-SHA-1 logins: memory, KiB", "idle_scram.rss_kib_per_session", 1)
    row("(b) chat max throughput, msg/s (" pairs " pairs)", "chat.max_msg_per_s", 0)
    row("(b) same, per CPU-second of the server", "chat.max_per_cpu_s", 0)
    row("(b) chat p50 at " rate " msg/s, ms", "chat.paced_p50_ms", 1)
    row("(b) chat p99 at " rate " msg/s, ms", "chat.paced_p99_ms", 1)
    row("(b2) chat with SM and MAM: max throughput, msg/s", "chat_sm_mam.max_msg_per_s", 0)
    row("(b2) same, per CPU-second of the server", "chat_sm_mam.max_per_cpu_s", 0)
    row("(b2) same, % of the same server in (b)", "chat_sm_mam.kept_pct", 0)
    row("(b2) chat with SM and MAM: p50 at " rate " msg/s, ms", "chat_sm_mam.paced_p50_ms", 1)
    row("(b2) chat with SM and MAM: p99 at " rate " msg/s, ms", "chat_sm_mam.paced_p99_ms", 1)
    row("(c) presence deliveries/s (" roster " contacts)", "presence.deliveries_per_s", 0)
    row("(d) MUC deliveries/s (" muc " occupants)", "muc.deliveries_per_s", 0)
    row("(d) MUC memory per occupant (KiB)", "muc.rss_kib_per_occupant", 1)
    row("(e) WebSocket: memory per idle session, KiB (" sessions ")", "ws_idle.rss_kib_per_session", 1)
    row("(e) WebSocket: login rate (PLAIN), sessions/s", "ws_idle.login_rate", 0)
    row("(e) WebSocket: same after SCRAM-SHA-1 logins, KiB", "ws_idle_scram.rss_kib_per_session", 1)
    row("(e) WebSocket: chat max throughput, msg/s (" pairs " pairs)", "ws_chat.max_msg_per_s", 0)
    row("(e) WebSocket: same, per CPU-second of the server", "ws_chat.max_per_cpu_s", 0)
    row("(e) WebSocket: chat p50 at " rate " msg/s, ms", "ws_chat.paced_p50_ms", 1)
    row("(e) WebSocket: chat p99 at " rate " msg/s, ms", "ws_chat.paced_p99_ms", 1)
    row("(f) HTTP GET " http_path ", requests/s (" http_connections " conns)", "http.requests_per_s", 0)
    row("(f) HTTP: same, per CPU-second of the server", "http.per_cpu_s", 0)
    row("(f) HTTP p50, ms", "http.p50_ms", 1)
    row("(f) HTTP p99, ms", "http.p99_ms", 1)
    row("(g) status image, cached (nginx: static PNG, same size), req/s", "sis_cached.requests_per_s", 0)
    row("(g) status image, options varied (uncached), req/s", "sis_uncached.requests_per_s", 0)
    row("(g) status image uncached: images drawn", "sis_uncached.drawn", 0)
    row("(g) status image p99, cached, ms", "sis_cached.p99_ms", 1)
    row("(g) status image p99, uncached, ms", "sis_uncached.p99_ms", 1)
    print ""
    print "Load check, per measured phase: share of one core used by the generator, the server, kernel threads"
    print "(softirq network work, mostly ours) and other processes on the same CPUs (other load on this"
    print "shared machine: high values there make a column low). Then losses."
    header("phase", "")
    n = split("idle.login idle_scram.login chat.max chat.paced chat_sm_mam.max chat_sm_mam.paced presence muc tls_idle.login tls_chat.max tls_chat.paced tls_chat_sm_mam.max tls_chat_sm_mam.paced tls_presence tls_muc ws_idle.login ws_idle_scram.login ws_chat.max ws_chat.paced http sis_cached sis_uncached", phases, " ")
    for (i = 1; i <= n; i++) {
      plain("generator CPU %, " phases[i], phases[i] ".gen_cpu_pct")
      plain("server CPU %, " phases[i], phases[i] ".server_cpu_pct")
      plain("kernel threads CPU %, " phases[i], phases[i] ".kernel_cpu_pct")
      plain("other processes CPU %, " phases[i], phases[i] ".others_cpu_pct")
    }
    plain("login rate, SCRAM-SHA-1 logins, sessions/s", "idle_scram.login_rate")
    plain("chat: p99 at max throughput, ms", "chat.max_p99_ms")
    plain("chat: p99.9 at " rate " msg/s, ms", "chat.paced_p999_ms")
    plain("chat: achieved rate of the latency run, msg/s", "chat.paced_rate")
    plain("presence: roster set-up over XMPP, s", "presence.roster_setup_s")
    plain("WebSocket: login rate, SCRAM-SHA-1 logins, sessions/s", "ws_idle_scram.login_rate")
    plain("WebSocket chat: p99 at max throughput, ms", "ws_chat.max_p99_ms")
    plain("WebSocket chat: p99.9 at " rate " msg/s, ms", "ws_chat.paced_p999_ms")
    plain("WebSocket chat: achieved rate of the latency run", "ws_chat.paced_rate")
    plain("messages lost (chat)", "chat.lost")
    plain("messages lost (TLS chat)", "tls_chat.lost")
    plain("messages lost (TLS chat with SM and MAM)", "tls_chat_sm_mam.lost")
    plain("messages never acked (TLS chat with SM and MAM)", "tls_chat_sm_mam.unacked")
    plain("deliveries lost (TLS presence)", "tls_presence.lost")
    plain("deliveries lost (TLS MUC)", "tls_muc.lost")
    plain("sessions dropped by the server (TLS idle)", "tls_idle.lost_sessions")
    plain("messages lost (chat with SM and MAM)", "chat_sm_mam.lost")
    plain("messages never acked by the server (chat with SM and MAM)", "chat_sm_mam.unacked")
    plain("deliveries lost (presence)", "presence.lost")
    plain("MUC: occupants that send (the others only receive)", "muc.talkers")
    plain("MUC: every occupant entering the room, s", "muc.join_s")
    plain("deliveries lost (MUC)", "muc.lost")
    plain("sessions dropped by the server (idle)", "idle.lost_sessions")
    plain("messages lost (WebSocket chat)", "ws_chat.lost")
    plain("sessions dropped by the server (WebSocket idle)", "ws_idle.lost_sessions")
    plain("HTTP: non-2xx answers", "http.non_2xx")
    plain("HTTP: socket errors", "http.socket_errors")
    if (marked) {
      print ""
      print "* the scenario did not end cleanly (a loss, a dropped session or a timeout): see above."
    }
  }
' "$results"
