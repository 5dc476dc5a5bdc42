#include "xcap/document_service.hpp"

#include <openssl/rand.h>

#include "server/im/blocking.hpp"
#include "server/im/presence.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/im/subscription.hpp"
#include "xcap/operations.hpp"
#include "xcap/pres_rules.hpp"
#include "xcap/roster_document.hpp"
#include "xcap/xml_doc.hpp"

namespace ofs::xcap {
namespace {

reply text(unsigned status, std::string body) {
  reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

reply conflict_reply(const conflict& c) {
  reply r;
  r.status = 409;
  r.body = error_body(c);
  r.content_type = std::string(error_mime);
  return r;
}

std::string new_etag() {
  unsigned char b[12];
  RAND_bytes(b, sizeof b);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "x";
  for (unsigned char c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string_view mime_only(std::string_view v) {
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

struct current_doc {
  bool exists = false;
  std::string body, etag;
};

struct change {
  doc_ptr doc;       // the document after the change
  std::string body;  // what to store (stored documents)
  unsigned status = 200;
};

// The change a PUT or DELETE makes to the document, checked; or the reply refusing it.
std::variant<change, reply> compute_change(const doc_request& r, const current_doc& cur) {
  const bool whole = !r.uri.has_selector;
  if (whole && r.verb == method::put) {
    if (mime_only(r.content_type) != r.usage->mime)
      return text(415, "a " + std::string(r.usage->auid) + " document is " + std::string(r.usage->mime));
    auto parsed = parse_document(r.body);
    if (auto* c = std::get_if<conflict>(&parsed)) return conflict_reply(*c);
    change ch{std::move(std::get<doc_ptr>(parsed)), r.body, cur.exists ? 200u : 201u};
    if (auto e = check_document(*r.usage, ch.doc.get())) return conflict_reply(*e);
    return ch;
  }
  if (!cur.exists) return text(404, "no such document");
  auto selector = parse_node_selector(r.uri.selector, r.uri.prefixes, r.usage->default_ns);
  if (auto* e = std::get_if<selector_error>(&selector)) return text(400, "bad node selector: " + e->why);
  const auto& sel = std::get<node_selector>(selector);
  if (r.verb == method::put) {
    const auto want = sel.what == node_selector::target::attribute ? attribute_mime : element_mime;
    if (sel.what == node_selector::target::namespaces) return text(405, "namespace bindings are read-only");
    if (mime_only(r.content_type) != want) return text(415, "the body of this PUT is " + std::string(want));
  }
  if (r.verb == method::del && sel.what == node_selector::target::namespaces)
    return text(405, "namespace bindings are read-only");
  auto parsed = parse_document(cur.body);
  if (std::holds_alternative<conflict>(parsed)) return text(500, "the stored document is damaged");
  change ch{std::move(std::get<doc_ptr>(parsed)), {}, 200};
  auto done = r.verb == method::put ? put_node(ch.doc.get(), sel, r.body) : delete_node(ch.doc.get(), sel);
  if (done.status == 404) return text(404, done.why);
  if (done.error) {
    if (done.error->tag == conflict_tag::no_parent)
      done.error->ancestor = r.uri.auid + "/users/" + r.uri.xui + "/" + r.uri.document;
    return conflict_reply(*done.error);
  }
  if (auto e = check_document(*r.usage, ch.doc.get())) return conflict_reply(*e);
  ch.status = done.status;
  ch.body = serialize(ch.doc.get());
  return ch;
}

bool is_pres_rules(const doc_request& r) {
  return r.usage->auid == "pres-rules" && r.uri.document == pres_rules_document;
}

// The pres-rules document as the user sees it: what was stored, with the block list's rule.
boost::asio::awaitable<std::optional<current_doc>> load_pres_rules(im::service& svc, const doc_request& r) {
  auto op = svc.store().get_xcap_document(r.owner, r.uri.auid, r.uri.document);
  auto got = co_await std::move(op);
  if (!got) co_return std::nullopt;
  auto listing = im::load_block_list(svc, r.owner);  // named: GCC 12
  auto blocked = co_await std::move(listing);
  if (!blocked) co_return std::nullopt;
  current_doc cur;
  if (!*got && blocked->empty()) co_return cur;
  cur.exists = true;
  cur.body = with_block_rule(*got ? (*got)->body : std::string(), *blocked);
  cur.etag = pres_rules_etag(*got ? (*got)->etag : std::string(), *blocked);
  co_return cur;
}

// What a stored pres-rules document means for XMPP: its block rules are the block list, its
// allow rules pre-approve (RFC 6121 3.4) contacts whose presence subscription is not yet
// approved. False when the store failed.
boost::asio::awaitable<bool> apply_pres_rules(im::service& svc, core::jid owner, rules_effect effect) {
  auto replacing = im::replace_block_list(svc, owner, effect.blocked);  // named: GCC 12
  if (!co_await std::move(replacing)) co_return false;
  for (const auto& contact : effect.allowed) {
    if (contact == owner) continue;
    storage::roster* roster = co_await svc.rosters().get(owner);
    if (!roster) co_return false;
    const storage::roster_item* item = im::roster_cache::find(*roster, contact);
    if (item && (im::has_from(item->sub) || item->approved)) continue;
    auto approval = im::make_presence("subscribed", owner, contact);
    auto op = im::owner_subscription(svc, im::sub_kind::subscribed, std::move(approval));  // named: GCC 12
    co_await std::move(op);
  }
  svc.rosters().release(owner);
  co_return true;
}

// RFC 4827: the pidf-manipulation document's note is what watchers see while the user is
// offline; the presence feature reads it from the private store (no XML parsing there).
boost::asio::awaitable<bool> note_for_watchers(im::service& svc, core::jid owner, xmlDoc* doc) {
  std::string note = doc ? note_of(doc).value_or("") : std::string();
  auto op = svc.store().put_private(owner, std::string(im::offline_note_key), std::move(note));
  auto put = co_await std::move(op);
  co_return put.has_value();
}

boost::asio::awaitable<std::optional<current_doc>> load(im::service& svc, const doc_request& r) {
  if (is_pres_rules(r)) {
    auto op = load_pres_rules(svc, r);  // named: GCC 12
    co_return co_await std::move(op);
  }
  current_doc cur;
  if (r.roster_backed) {
    auto op = load_roster_document(svc, r.owner);  // named: GCC 12
    auto snap = co_await std::move(op);
    if (!snap) co_return std::nullopt;
    co_return current_doc{true, std::move(snap->body), std::move(snap->etag)};
  }
  auto op = svc.store().get_xcap_document(r.owner, r.uri.auid, r.uri.document);
  auto got = co_await std::move(op);
  if (!got) co_return std::nullopt;
  if (*got) cur = current_doc{true, std::move((*got)->body), std::move((*got)->etag)};
  co_return cur;
}

}  // namespace

bool etag_matches(std::string_view header, std::string_view etag, bool exists) {
  while (!header.empty()) {
    while (!header.empty() && (header.front() == ' ' || header.front() == ',')) header.remove_prefix(1);
    if (header.empty()) break;
    if (header.front() == '*') return exists;
    if (header.starts_with("W/")) header.remove_prefix(2);  // weak tags never match strongly
    if (header.empty() || header.front() != '"') return false;
    auto end = header.find('"', 1);
    if (end == std::string_view::npos) return false;
    if (exists && header.substr(1, end - 1) == etag) return true;
    header.remove_prefix(end + 1);
  }
  return false;
}

boost::asio::awaitable<reply> serve_document(im::service& svc, doc_request r) {
  auto loading = load(svc, r);  // named: GCC 12
  auto cur = co_await std::move(loading);
  if (!cur) co_return text(503, "storage unavailable; try again later");
  const bool reading = r.verb == method::get || r.verb == method::head;
  if (r.if_match && !etag_matches(*r.if_match, cur->etag, cur->exists))
    co_return text(412, "the document's entity tag does not match If-Match");
  if (r.if_none_match && etag_matches(*r.if_none_match, cur->etag, cur->exists)) {
    reply rep = text(reading ? 304 : 412, reading ? "" : "the document's entity tag matches If-None-Match");
    rep.etag = cur->etag;
    co_return rep;
  }
  if (reading) {
    if (!cur->exists) co_return text(404, "no such document");
    if (!r.uri.has_selector) {
      reply rep{200, std::move(cur->body), std::string(r.usage->mime), cur->etag};
      co_return rep;
    }
    auto selector = parse_node_selector(r.uri.selector, r.uri.prefixes, r.usage->default_ns);
    if (auto* e = std::get_if<selector_error>(&selector)) co_return text(400, "bad node selector: " + e->why);
    auto parsed = parse_document(cur->body);
    if (std::holds_alternative<conflict>(parsed)) co_return text(500, "the stored document is damaged");
    auto got = get_node(std::get<doc_ptr>(parsed).get(), std::get<node_selector>(selector));
    if (got.status != 200) co_return text(got.status, got.why);
    reply rep{200, std::move(got.body), std::move(got.content_type), cur->etag};
    co_return rep;
  }
  if (r.verb == method::del && !r.uri.has_selector) {  // the whole document
    if (!cur->exists) co_return text(404, "no such document");
    if (r.roster_backed) {
      auto op = apply_roster_document(svc, r.owner, {});  // named: GCC 12
      auto snap = co_await std::move(op);
      if (!snap) co_return text(503, "storage unavailable; try again later");
      co_return text(200, "");
    }
    auto op = svc.store().delete_xcap_document(r.owner, r.uri.auid, r.uri.document);
    auto gone = co_await std::move(op);
    if (!gone) co_return text(503, "storage unavailable; try again later");
    if (r.usage->auid == "pidf-manipulation" && r.uri.document == "index") {  // and its note
      auto noting = note_for_watchers(svc, r.owner, nullptr);                 // named: GCC 12
      if (!co_await std::move(noting)) co_return text(503, "storage unavailable; try again later");
    }
    if (is_pres_rules(r)) {                                // its block rules go with it
      auto clearing = apply_pres_rules(svc, r.owner, {});  // named: GCC 12
      if (!co_await std::move(clearing)) co_return text(503, "storage unavailable; try again later");
    }
    co_return text(200, "");
  }
  auto computed = compute_change(r, *cur);
  if (auto* refused = std::get_if<reply>(&computed)) co_return std::move(*refused);
  auto& ch = std::get<change>(computed);
  reply rep = text(ch.status, "");
  if (r.roster_backed) {
    auto contacts = contacts_of(ch.doc.get());
    if (auto* c = std::get_if<conflict>(&contacts)) co_return conflict_reply(*c);
    auto op = apply_roster_document(svc, r.owner, std::get<wanted_roster>(std::move(contacts)));  // named
    auto snap = co_await std::move(op);
    if (!snap) co_return text(503, "storage unavailable; try again later");
    rep.etag = snap->etag;
    co_return rep;
  }
  storage::xcap_document stored{r.uri.auid, r.uri.document, std::move(ch.body), new_etag()};
  rep.etag = stored.etag;
  auto op = svc.store().put_xcap_document(r.owner, std::move(stored));
  auto put = co_await std::move(op);
  if (!put) co_return text(503, "storage unavailable; try again later");
  if (r.usage->auid == "pidf-manipulation" && r.uri.document == "index") {
    auto noting = note_for_watchers(svc, r.owner, ch.doc.get());  // named: GCC 12
    if (!co_await std::move(noting)) co_return text(503, "storage unavailable; try again later");
  }
  if (is_pres_rules(r)) {
    auto effect = effect_of(ch.doc.get());
    rep.etag = pres_rules_etag(rep.etag, effect.blocked);
    auto applying = apply_pres_rules(svc, r.owner, std::move(effect));  // named: GCC 12
    if (!co_await std::move(applying)) co_return text(503, "storage unavailable; try again later");
  }
  co_return rep;
}

boost::asio::awaitable<std::optional<std::string>> offline_note(storage::store& store, core::jid user) {
  auto op = store.get_xcap_document(user, "pidf-manipulation", "index");
  auto got = co_await std::move(op);
  if (!got || !*got) co_return std::nullopt;
  auto parsed = parse_document((*got)->body);
  if (!std::holds_alternative<doc_ptr>(parsed)) co_return std::nullopt;
  co_return note_of(std::get<doc_ptr>(parsed).get());
}

std::optional<std::string> note_of(xmlDoc* doc) {
  xmlNode* root = xmlDocGetRootElement(doc);
  constexpr std::string_view pidf_ns = "urn:ietf:params:xml:ns:pidf";
  auto child = [&](xmlNode* parent, std::string_view name) -> xmlNode* {
    for (xmlNode* c = parent->children; c; c = c->next)
      if (c->type == XML_ELEMENT_NODE && name_of(c) == name && ns_of(c) == pidf_ns) return c;
    return nullptr;
  };
  // The presence's own note first, else the first tuple's (RFC 3863 4.1.6, 4.1.3).
  xmlNode* note = child(root, "note");
  for (xmlNode* t = root->children; t && !note; t = t->next)
    if (t->type == XML_ELEMENT_NODE && name_of(t) == "tuple" && ns_of(t) == pidf_ns) note = child(t, "note");
  if (!note) return std::nullopt;
  xmlChar* t = xmlNodeGetContent(note);
  std::string out = t ? reinterpret_cast<char*>(t) : "";
  xmlFree(t);
  return out;
}

}  // namespace ofs::xcap
