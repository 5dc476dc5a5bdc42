#include "http/status/policy.hpp"

#include <algorithm>

#include "server/im/presence.hpp"
#include "xcap/xml_doc.hpp"

namespace ofs::http::status {
namespace {

constexpr std::string_view blocklist_key = "blocklist";  // where server/im/block_cache.cpp keeps it

}  // namespace

user_facts facts_of(std::string_view pres_rules, std::string_view block_list, const storage::roster& roster,
                    std::string note) {
  user_facts f;
  if (!pres_rules.empty()) {
    auto parsed = xcap::parse_document(pres_rules);
    if (auto* doc = std::get_if<xcap::doc_ptr>(&parsed)) f.rules = xcap::web_viewers_of(doc->get());
  }
  f.blocked = im::parse_block_list(block_list);
  for (const auto& item : roster.items)
    if (item.sub == storage::subscription::from || item.sub == storage::subscription::both)
      f.subscribers.push_back(item.contact);
  std::sort(f.subscribers.begin(), f.subscribers.end());
  f.offline_note = std::move(note);
  return f;
}

boost::asio::awaitable<result<user_facts>> load_facts(storage::store& store, core::jid user) {
  auto rules_op = store.get_xcap_document(user, "pres-rules", std::string(xcap::pres_rules_document));
  auto rules = co_await std::move(rules_op);
  auto blocked_op = store.get_private(user, std::string(blocklist_key));
  auto blocked = co_await std::move(blocked_op);
  auto roster_op = store.load_roster(user);
  auto roster = co_await std::move(roster_op);
  auto note_op = store.get_private(user, std::string(im::offline_note_key));
  auto note = co_await std::move(note_op);
  if (!rules) co_return rules.error();
  if (!blocked) co_return blocked.error();
  if (!roster) co_return roster.error();
  if (!note) co_return note.error();
  const std::string rules_text = *rules ? (*rules)->body : std::string();
  co_return facts_of(rules_text, blocked->value_or(""), *roster, note->value_or(""));
}

sight sight_of(const user_facts& f, const core::jid& user, const std::optional<core::jid>& viewer,
               bool public_by_default) {
  if (!viewer) return f.rules.anyone.value_or(public_by_default) ? sight::full : sight::hidden;
  if (*viewer == user) return sight::full;
  if (im::blocks(f.blocked, *viewer)) return sight::as_offline;  // as XMPP shows it (XEP-0191)
  if (std::binary_search(f.subscribers.begin(), f.subscribers.end(), *viewer)) return sight::full;
  if (xcap::allows(f.rules, *viewer)) return sight::full;
  // An authenticated viewer is also "anyone on the web".
  return f.rules.anyone.value_or(public_by_default) ? sight::full : sight::hidden;
}

render::snapshot snapshot_of(const std::vector<core::bound_resource>& resources, sight s,
                             const std::string& offline_note) {
  render::snapshot out;
  if (s == sight::hidden) return out;  // unknown, no text
  const core::bound_resource* best = nullptr;
  if (s == sight::full)
    for (const auto& r : resources)
      if (r.available && r.presence && (!best || r.priority > best->priority)) best = &r;
  if (!best) {
    out.state = render::state::offline;
    if (s == sight::full) out.text = offline_note;
    return out;
  }
  const auto* show = best->presence->xml().child("show");
  const std::string show_text = show ? show->text() : std::string();
  out.state = show_text == "chat"   ? render::state::chat
              : show_text == "away" ? render::state::away
              : show_text == "xa"   ? render::state::xa
              : show_text == "dnd"  ? render::state::dnd
                                    : render::state::online;
  if (const auto* status = best->presence->xml().child("status")) out.text = status->text();
  return out;
}

}  // namespace ofs::http::status
