#pragma once
// The wire side of a XEP-0313 query: the extended form (with, start, end, before-id,
// after-id) and XEP-0059 paging into a storage::archive_query, and a page back into
// <result/> messages and the <fin/> of the iq result. Pure functions, tested alone.
#include <string>
#include <variant>
#include <vector>

#include "server/core/stanza.hpp"
#include "server/core/stanza_error.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {

inline constexpr std::string_view rsm_ns = "http://jabber.org/protocol/rsm";
inline constexpr std::string_view forward_ns = "urn:xmpp:forward:0";

struct mam_request {
  std::string queryid;
  storage::archive_query query;
};

// Parses <query xmlns='urn:xmpp:mam:2'/>; a page holds at most max_page messages.
std::variant<mam_request, core::stanza_error> parse_mam_query(const core::element& query,
                                                              std::size_t max_page);
// The form an iq get of <query/> answers with (XEP-0313 4.1.3).
core::element mam_query_form();

// One <message><result><forwarded><delay/><message/></forwarded></result></message> per
// readable archived message, addressed from the archive's owner to the requester.
std::vector<core::stanza> mam_results(const core::jid& owner, const core::jid& requester,
                                      const std::string& queryid, const storage::archive_page& page);
// <fin xmlns='urn:xmpp:mam:2' complete='true'?><set xmlns='...rsm'>first/last/count</set></fin>;
// no index attribute: optional in XEP-0059, it costs a second count.
core::element mam_fin(const storage::archive_page& page);

}  // namespace ofs::im
