#pragma once
// pres-rules (RFC 5025) and XMPP, one truth: rules whose sub-handling is block or
// polite-block are the XEP-0191 block list (identities <one id="xmpp:..."> and <many
// domain="..."/>), and allow rules pre-approve subscriptions (RFC 6121 3.4). The block list
// appears in the user's "index" document as the rule "xmpp-blocklist", generated on read,
// so a block made over XMPP shows there; the document's ETag covers it.
#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/jid.hpp"

namespace ofs::xcap {

inline constexpr std::string_view blocklist_rule_id = "xmpp-blocklist";
inline constexpr std::string_view pres_rules_document = "index";

// The stored document (or, when empty, a new ruleset) with the rule "xmpp-blocklist" holding
// the items of `blocked` that no other block rule of the document names (no rule if none).
std::string with_block_rule(std::string_view stored, const std::vector<core::jid>& blocked);

struct rules_effect {
  std::vector<core::jid> blocked;  // of block and polite-block rules
  std::vector<core::jid> allowed;  // bare JIDs of allow rules' <one/> identities
};
rules_effect effect_of(xmlDoc* doc);

// Who may see the user's presence beyond XMPP subscriptions: the status images (SIS). Rules
// are combined as RFC 4745 section 10 says (the most permissive wins); only rules whose sole
// condition is <identity>, or that have no condition, count (a <sphere> or <validity> cannot
// be judged for a web viewer). A rule without <identity> matches anyone, anonymous web
// viewers included (RFC 4745 7.1): allow there opts in, block/polite-block opts out.
struct web_viewers {
  std::optional<bool> anyone;      // set by a rule without <identity>
  std::vector<core::jid> allowed;  // bare JIDs of allow rules' <one/> identities
  bool any_authenticated = false;  // an allow rule with <many/> and no domain
  struct domain_rule {
    std::string domain;
    std::vector<core::jid> except;  // <except id="..."/> (bare); <except domain> as domain JIDs
  };
  std::vector<domain_rule> domains;  // allow rules' <many domain="..."/>
};
web_viewers web_viewers_of(xmlDoc* doc);
// Whether rules allow an authenticated viewer (a bare JID).
bool allows(const web_viewers& rules, const core::jid& viewer);

// The document's ETag: the stored one and the block list it shows.
std::string pres_rules_etag(std::string_view stored_etag, const std::vector<core::jid>& blocked);

}  // namespace ofs::xcap
