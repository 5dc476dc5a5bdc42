#include "xcap/roster_document.hpp"

#include <algorithm>
#include <set>

#include "server/im/presence.hpp"
#include "server/im/roster.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/im/subscription.hpp"
#include "server/im/subscription_state.hpp"
#include "xcap/xml_doc.hpp"

namespace ofs::xcap {
namespace {

constexpr std::string_view rl_ns = "urn:ietf:params:xml:ns:resource-lists";

std::string text_of(xmlNode* n) {
  xmlChar* t = xmlNodeGetContent(n);
  std::string out = t ? reinterpret_cast<char*>(t) : "";
  xmlFree(t);
  return out;
}

std::string attr_of(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(n, reinterpret_cast<const xmlChar*>(name));
  std::string out = v ? reinterpret_cast<char*>(v) : "";
  xmlFree(v);
  return out;
}

bool is(xmlNode* n, std::string_view name) {
  return n->type == XML_ELEMENT_NODE && ns_of(n) == rl_ns && name_of(n) == name;
}

std::optional<conflict> collect(xmlNode* list, const std::string& group, wanted_roster& out) {
  for (xmlNode* c = list->children; c; c = c->next) {
    if (is(c, "list")) {
      if (auto e = collect(c, group, out)) return e;
      continue;
    }
    if (!is(c, "entry")) continue;  // entry-ref and external do not name a contact
    std::string uri = attr_of(c, "uri");
    std::string_view address = uri;
    if (address.starts_with("xmpp:")) address.remove_prefix(5);
    auto contact = core::jid::parse(address);
    if (!contact || !contact->is_bare() || contact->node().empty() ||
        address.find('?') != std::string_view::npos)
      return conflict{conflict_tag::constraint_failure,
                      "entry uri '" + uri + "' is not an XMPP address (xmpp:user@domain)"};
    auto& w = out[*contact];
    for (xmlNode* d = c->children; d; d = d->next)
      if (is(d, "display-name") && w.name.empty()) w.name = text_of(d);
    if (!group.empty() && std::find(w.groups.begin(), w.groups.end(), group) == w.groups.end())
      w.groups.push_back(group);
  }
  return std::nullopt;
}

bool same_groups(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

}  // namespace

std::string roster_etag(std::uint64_t version) { return "roster-" + std::to_string(version); }

std::string roster_to_document(const storage::roster& r) {
  std::map<std::string, std::vector<const storage::roster_item*>> lists;  // "" first: no group
  for (const auto& item : r.items) {
    if (!im::listed(item)) continue;
    if (item.groups.empty()) lists[""].push_back(&item);
    for (const auto& g : item.groups) lists[g].push_back(&item);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<resource-lists xmlns=\"";
  out += rl_ns;
  out += "\">\n";
  for (const auto& [group, items] : lists) {
    out += group.empty() ? "  <list>\n" : "  <list name=\"" + escape_xml(group) + "\">\n";
    for (const auto* item : items) {
      out += "    <entry uri=\"xmpp:" + escape_xml(item->contact.str()) + "\">";
      if (!item->name.empty()) out += "<display-name>" + escape_xml(item->name) + "</display-name>";
      out += "</entry>\n";
    }
    out += "  </list>\n";
  }
  out += "</resource-lists>\n";
  return out;
}

std::variant<wanted_roster, conflict> contacts_of(xmlDoc* doc) {
  wanted_roster out;
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* l = root->children; l; l = l->next) {
    if (!is(l, "list")) continue;
    if (auto e = collect(l, attr_of(l, "name"), out)) return *e;
  }
  return out;
}

boost::asio::awaitable<std::optional<roster_snapshot>> load_roster_document(im::service& svc,
                                                                            core::jid owner) {
  storage::roster* r = co_await svc.rosters().get(owner);
  std::optional<roster_snapshot> out;
  if (r) out = roster_snapshot{roster_to_document(*r), roster_etag(r->version)};
  svc.rosters().release(owner);
  co_return out;
}

boost::asio::awaitable<std::optional<roster_snapshot>> apply_roster_document(im::service& svc,
                                                                             core::jid owner,
                                                                             wanted_roster wanted) {
  storage::roster* r = co_await svc.rosters().get(owner);
  if (!r) co_return std::nullopt;
  // Copies: the cached roster changes under us with every put.
  std::vector<storage::roster_item> before = r->items;
  bool failed = false;
  for (const auto& was : before) {  // removed from the document: removed from the roster
    if (!im::listed(was) || wanted.contains(was.contact)) continue;
    storage::roster_item gone = was;
    gone.sub = storage::subscription::remove;
    auto op = svc.rosters().put(owner, gone);  // named: GCC 12
    auto version = co_await std::move(op);
    if (!version) {
      failed = true;
      break;
    }
    im::end_subscriptions(svc, owner, was);
    im::push_change(svc, owner, true, gone, *version);
  }
  for (auto& [contact, w] : wanted) {
    if (failed || contact == owner) continue;
    auto it = std::find_if(before.begin(), before.end(), [&](const auto& i) { return i.contact == contact; });
    const bool listed_before = it != before.end() && im::listed(*it);
    storage::roster_item item = it != before.end() ? *it : im::new_item(contact);
    if (listed_before && item.name == w.name && same_groups(item.groups, w.groups)) continue;
    item.name = w.name;
    item.groups = w.groups;
    auto op = svc.rosters().put(owner, item);  // named: GCC 12
    auto version = co_await std::move(op);
    if (!version) {
      failed = true;
      break;
    }
    im::push_change(svc, owner, listed_before, item, *version);
    // A buddy added over XCAP is one whose presence the owner wants: ask for it (RFC 6121 3.1).
    if (!im::has_to(item.sub) && !item.ask_out) {
      auto ask = im::make_presence("subscribe", owner, contact);
      auto sub = im::owner_subscription(svc, im::sub_kind::subscribe, std::move(ask));  // named: GCC 12
      co_await std::move(sub);
    }
  }
  std::optional<roster_snapshot> out;
  if (!failed) {
    auto done = co_await svc.rosters().get(owner);
    if (done) out = roster_snapshot{roster_to_document(*done), roster_etag(done->version)};
  }
  svc.rosters().release(owner);
  co_return out;
}

}  // namespace ofs::xcap
