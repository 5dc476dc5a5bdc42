#pragma once
// XEP-0030 service discovery for the server domain (identity server/im and the features
// every installed feature registered on the service) and for accounts, answered on the
// user's behalf to the user and to contacts with a presence subscription. Also the
// XEP-0115 capabilities hash the c2s front-end puts in its stream features.
#include <string>
#include <string_view>

#include "server/core/element.hpp"

namespace ofs::im {

class service;

inline constexpr std::string_view disco_info_ns = "http://jabber.org/protocol/disco#info";
inline constexpr std::string_view disco_items_ns = "http://jabber.org/protocol/disco#items";
inline constexpr std::string_view caps_ns = "http://jabber.org/protocol/caps";
// TODO(disco): the project's home page once it has one; any stable URI will do meanwhile.
inline constexpr std::string_view caps_node = "urn:ofs:server";

void install_disco(service& svc);

// base64(SHA-1(s)): the hash of a XEP-0115 verification string.
std::string caps_hash(std::string_view s);
// The verification string of XEP-0115 section 5.1 over the server's identity and features:
// base64 of SHA-1. Stable once install() has run.
std::string caps_ver(const service& svc);
// <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='...' ver='...'/>
core::element caps_element(const service& svc);

}  // namespace ofs::im
