#!/usr/bin/env bash
# Prints scripts/bench.sh's table from its raw results ("<server> <key> <value>" lines).
# usage: bench_table.sh RESULTS SESSIONS PAIRS RATE ROSTER MUC
set -euo pipefail
results=$1 sessions=$2 pairs=$3 rate=$4 roster=$5 muc=$6

awk -v sessions="$sessions" -v pairs="$pairs" -v rate="$rate" -v roster="$roster" -v muc="$muc" '
  { v[$1 "|" $2] = $3 }
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
  # OFS divided by the better of ejabberd and Prosody (the higher, or the lower for costs).
  function ratio(key, lower,   o, e, p, best) {
    o = cell("ofs", key); e = cell("ejabberd", key); p = cell("prosody", key)
    if (!num(o)) return "n/a"
    best = ""
    if (num(e)) best = v["ejabberd|" key]
    if (num(p) && (best == "" || (lower ? v["prosody|" key] < best : v["prosody|" key] > best))) best = v["prosody|" key]
    if (best == "" || best == 0) return "n/a"
    return sprintf("%.2f", v["ofs|" key] / best) (lower ? " (lower is better)" : "")
  }
  function row(label, key, lower) {
    printf "| %-46s | %9s | %9s | %9s | %-24s |\n", label, cell("ofs", key), cell("ejabberd", key), cell("prosody", key), ratio(key, lower)
  }
  function plain(label, key) {
    printf "| %-46s | %9s | %9s | %9s |\n", label, cell("ofs", key), cell("ejabberd", key), cell("prosody", key)
  }
  END {
    printf "| %-46s | %9s | %9s | %9s | %-24s |\n", "scenario", "OFS", "ejabberd", "Prosody", "OFS / best of the two"
    printf "|%s|%s|%s|%s|%s|\n", "------------------------------------------------", "-----------", "-----------", "-----------", "--------------------------"
    row("(a) memory per idle session, KiB (" sessions ", PLAIN)", "idle.rss_kib_per_session", 1)
    row("(a) login rate (PLAIN), sessions/s", "idle.login_rate", 0)
    row("(a) same, SCRAM-SHA-1 logins: memory, KiB", "idle_scram.rss_kib_per_session", 1)
    row("(b) chat max throughput, msg/s (" pairs " pairs)", "chat.max_msg_per_s", 0)
    row("(b) chat p50 at " rate " msg/s, ms", "chat.paced_p50_ms", 1)
    row("(b) chat p99 at " rate " msg/s, ms", "chat.paced_p99_ms", 1)
    row("(c) presence deliveries/s (" roster " contacts)", "presence.deliveries_per_s", 0)
    row("(d) MUC deliveries/s (" muc " occupants)", "muc.deliveries_per_s", 0)
    print ""
    print "Load check, per measured phase: share of one core used by the generator, the server, kernel threads"
    print "(softirq network work, mostly ours) and other processes on the same CPUs (other load on this"
    print "shared machine: high values there make a column low). Then losses."
    printf "| %-46s | %9s | %9s | %9s |\n", "phase", "OFS", "ejabberd", "Prosody"
    printf "|%s|%s|%s|%s|\n", "------------------------------------------------", "-----------", "-----------", "-----------"
    n = split("idle.login idle_scram.login chat.max chat.paced presence muc", phases, " ")
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
    plain("messages lost (chat)", "chat.lost")
    plain("deliveries lost (presence)", "presence.lost")
    plain("deliveries lost (MUC)", "muc.lost")
    plain("sessions dropped by the server (idle)", "idle.lost_sessions")
    if (marked) {
      print ""
      print "* the scenario did not end cleanly (a loss, a dropped session or a timeout): see above."
    }
  }
' "$results"
