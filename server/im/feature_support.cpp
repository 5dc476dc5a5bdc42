#include "server/im/feature_support.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <variant>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::im {

bool is_request(const core::stanza& s) {
  return s.kind() == core::stanza_kind::iq && (s.type() == "get" || s.type() == "set");
}

const core::element* payload(const core::stanza& s) {
  for (const auto& c : s.xml().children())
    if (!c.is_text()) return &c;
  return nullptr;
}

core::stanza make_result(const core::stanza& request) {
  core::element iq("iq", std::string(core::ns::client));
  iq.set_attr("type", "result");
  if (request.xml().has_attr("id")) iq.set_attr("id", std::string(request.id()));
  core::stanza reply = make_stanza(std::move(iq));
  reply.set_to(request.from());
  reply.set_from(request.to());
  return reply;
}

core::stanza make_result(const core::stanza& request, core::element child) {
  core::stanza reply = make_result(request);
  reply.mutable_xml().add_child(std::move(child));
  return reply;
}

bool from_owner(const core::stanza& s) {
  return !s.from().node().empty() && s.to().is_bare() && s.from().bare() == s.to();
}

bool worth_storing(const core::element& m) {
  constexpr std::string_view chatstates_ns = "http://jabber.org/protocol/chatstates";
  constexpr std::string_view hints_ns = "urn:xmpp:hints";
  if (m.child("no-store", hints_ns) || m.child("no-permanent-store", hints_ns)) return false;
  for (const auto& c : m.children())
    if (!c.is_text() && c.xmlns() != chatstates_ns && c.xmlns() != hints_ns && c.name() != "thread")
      return true;
  return false;
}

core::stanza make_stanza(core::element e) { return core::stanza::from_element(std::move(e)).value(); }

boost::asio::awaitable<result<bool>> may_see_presence(storage::store& store, core::jid owner, core::jid who) {
  owner = owner.bare();
  who = who.bare();
  if (owner == who) co_return true;
  auto roster = co_await store.load_roster(owner);
  if (!roster) co_return result<bool>(boost::system::in_place_error, roster.error());
  for (const auto& item : roster->items)
    if (item.contact == who)
      co_return item.sub == storage::subscription::from || item.sub == storage::subscription::both;
  co_return false;
}

void bounce_store_error(core::router& r, const core::stanza& request) {
  spdlog::warn("im: store failed; <{}/> from {} to {} answered internal-server-error (wait)", request.name(),
               request.from().str(), request.to().str());
  r.bounce(request, core::stanza_error(core::condition::internal_server_error, core::error_type::wait));
}

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string to_stored(const core::element& e) { return xml::to_string(e, core::ns::client); }

std::optional<core::element> from_stored(std::string_view xml) {
  // Stored text is written by to_stored, inside a jabber:client scope; a stream header with
  // the same default namespace gives back the same tree.
  static constexpr std::string_view header =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  xml::parser_limits limits;
  limits.max_stanza_bytes = std::max(limits.max_stanza_bytes, xml.size() + header.size() + 64);
  xml::stream_parser parser(limits);
  if (parser.feed(header) || parser.feed(xml)) return std::nullopt;
  std::optional<core::element> out;
  while (auto ev = parser.next()) {
    if (auto* st = std::get_if<xml::stanza_event>(&*ev)) {
      if (out) return std::nullopt;  // more than one element
      out = std::move(st->xml);
    }
  }
  return out;
}

}  // namespace ofs::im
