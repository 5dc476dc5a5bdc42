#pragma once
// Presence (RFC 6121 section 4): broadcast of initial, subsequent and unavailable presence to
// the contacts with a 'from' or 'both' subscription and to the user's own resources, probes
// and their answers, directed presence remembered per session, and the unavailable presence
// a session owes its contacts when it goes away without one. All of it on the user's shard;
// per-session state lives in per-shard maps owned by the installed feature.
#include <string_view>

#include "server/core/stanza.hpp"

namespace ofs::im {

class service;

void install_presence(service& svc);

// <presence type=type from=from to=to/> in jabber:client; an empty type means available.
// The private-store key of the note an offline user's watchers see as <status/> in the answer
// to a probe; set by XCAP's pidf-manipulation document (RFC 4827).
inline constexpr std::string_view offline_note_key = "pidf-note";

core::stanza make_presence(std::string_view type, const core::jid& from, const core::jid& to);

// The user's current presence, from each available resource, to contact (RFC 6121 3.1.5).
void send_current_presence(service& svc, const core::jid& user, const core::jid& contact);
// Unavailable presence from each of the user's available resources to contact (3.2.2).
void send_unavailable(service& svc, const core::jid& user, const core::jid& contact);

// The <priority/> of a presence stanza: -128..127, 0 when absent or malformed.
int priority_of(const core::stanza& s);

}  // namespace ofs::im
