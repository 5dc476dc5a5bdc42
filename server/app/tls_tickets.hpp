#pragma once
// TLS session tickets (RFC 8446 4.6.1, RFC 5077) under one key set for the whole process:
// every TLS context issues and accepts them, so a reconnecting client resumes (no certificate
// signature, no key exchange of its own in TLS 1.2) even across a reload that built new
// contexts. The keys are random, live in memory only, and rotate every hour.
#include <openssl/types.h>

namespace ofs::app {

// ctx issues one ticket per handshake under the process's keys and accepts them for the
// ticket lifetime (two hours); no server-side session cache, which would tie resumption to
// one context.
void use_shared_tickets(SSL_CTX* ctx);

// Starts a new ticket key now, as the hourly schedule does; tickets under the previous keys
// stay valid and are replaced at their next use.
void rotate_ticket_keys();

}  // namespace ofs::app
