#include "server/im/mam_query.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "server/im/archive.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/stanza_ids.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view data_ns = "jabber:x:data";
constexpr std::string_view delay_ns = "urn:xmpp:delay";

core::stanza_error bad_request(std::string why) {
  return {core::condition::bad_request, core::error_type::modify, std::move(why)};
}

std::string field_value(const core::element& field) { return field.child_text("value", data_ns); }

// The archive position a client's id names; also to be checked against the archive.
std::optional<std::int64_t> position_of(std::string_view id, storage::archive_query& q) {
  auto seq = stanza_ids::seq_of(id);
  if (seq) q.must_exist.emplace_back(*seq, std::string(id));
  return seq;
}

core::stanza_error not_found(std::string_view id) {
  return {core::condition::item_not_found, core::error_type::cancel,
          fmt::format("No message with id '{}'", id)};
}

std::optional<core::stanza_error> apply_field(const core::element& field, storage::archive_query& q) {
  const auto var = field.attr("var");
  const std::string value = field_value(field);
  if (var == "FORM_TYPE") {
    if (value != mam_ns) return bad_request("FORM_TYPE must be urn:xmpp:mam:2");
  } else if (var == "with") {
    auto j = core::jid::parse(value);
    if (!j || value.empty()) return bad_request("'with' is not a valid JID");
    q.with = j->bare_str();
    q.with_resource = std::string(j->resource());
  } else if (var == "start" || var == "end") {
    auto t = parse_timestamp(value);
    if (!t) return bad_request(fmt::format("'{}' is not a XEP-0082 date-time", var));
    if (var == "start")
      q.min_seq = std::max(q.min_seq, *t);
    else
      q.max_seq = std::min(q.max_seq, *t);
  } else if (var == "after-id" || var == "before-id") {
    auto seq = position_of(value, q);
    if (!seq) return not_found(value);
    if (var == "after-id")
      q.min_seq = std::max(q.min_seq, *seq + 1);
    else
      q.max_seq = std::min(q.max_seq, *seq - 1);
  } else {
    return bad_request(fmt::format("Unsupported field '{}'", var));
  }
  return std::nullopt;
}

}  // namespace

std::variant<mam_request, core::stanza_error> parse_mam_query(const core::element& query,
                                                              std::size_t max_page) {
  mam_request r;
  r.queryid = std::string(query.attr("queryid"));
  r.query.max = max_page;
  if (const auto* form = query.child("x", data_ns)) {
    if (form->attr("type") != "submit" && !form->attr("type").empty())
      return bad_request("The form must be a submit form");
    for (const auto& f : form->children())
      if (f.name() == "field")
        if (auto e = apply_field(f, r.query)) return *e;
  }
  if (const auto* set = query.child("set", rsm_ns)) {
    if (set->child("index", rsm_ns)) return core::stanza_error(core::condition::feature_not_implemented);
    if (const auto* max = set->child("max", rsm_ns)) {
      const auto text = max->text();
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size()) return bad_request("<max/> is not a number");
      r.query.max = std::min(n, max_page);
    }
    if (const auto* after = set->child("after", rsm_ns)) {
      const auto id = after->text();
      auto seq = position_of(id, r.query);
      if (!seq) return not_found(id);
      r.query.after = *seq;
    }
    if (const auto* before = set->child("before", rsm_ns)) {
      r.query.from_end = true;  // <before/>: the last page
      if (const auto id = before->text(); !id.empty()) {
        auto seq = position_of(id, r.query);
        if (!seq) return not_found(id);
        r.query.before = *seq;
      }
    }
  }
  return r;
}

core::element mam_query_form() {
  core::element query("query", std::string(mam_ns));
  auto& x = query.add_child(core::element("x", std::string(data_ns)));
  x.set_attr("type", "form");
  auto field = [&](std::string var, std::string type) -> core::element& {
    auto& f = x.add_child(core::element("field", std::string(data_ns)));
    f.set_attr("var", std::move(var));
    f.set_attr("type", std::move(type));
    return f;
  };
  field("FORM_TYPE", "hidden")
      .add_child(core::element("value", std::string(data_ns)))
      .add_text(std::string(mam_ns));
  field("with", "jid-single");
  field("start", "text-single");
  field("end", "text-single");
  field("after-id", "text-single");
  field("before-id", "text-single");
  return query;
}

std::vector<core::stanza> mam_results(const core::jid& owner, const core::jid& requester,
                                      const std::string& queryid, const storage::archive_page& page) {
  std::vector<core::stanza> out;
  for (const auto& m : page.items) {
    auto original = from_stored(m.xml);
    if (!original) {
      spdlog::warn("im: archived message {} of {} is unreadable; left out of the result", m.id,
                   owner.bare_str());
      continue;
    }
    core::element message("message", std::string(core::ns::client));
    message.set_attr("from", owner.bare_str());
    message.set_attr("to", requester.str());
    auto& result = message.add_child(core::element("result", std::string(mam_ns)));
    if (!queryid.empty()) result.set_attr("queryid", queryid);
    result.set_attr("id", m.id);
    auto& fwd = result.add_child(core::element("forwarded", std::string(forward_ns)));
    fwd.add_child(core::element("delay", std::string(delay_ns))).set_attr("stamp", timestamp_of(m.seq));
    fwd.add_child(std::move(*original));
    out.push_back(make_stanza(std::move(message)));
  }
  return out;
}

core::element mam_fin(const storage::archive_page& page) {
  core::element fin("fin", std::string(mam_ns));
  if (page.complete) fin.set_attr("complete", "true");
  auto& set = fin.add_child(core::element("set", std::string(rsm_ns)));
  if (!page.items.empty()) {
    auto& first = set.add_child(core::element("first", std::string(rsm_ns)));
    first.add_text(page.items.front().id);
    set.add_child(core::element("last", std::string(rsm_ns))).add_text(page.items.back().id);
  }
  set.add_child(core::element("count", std::string(rsm_ns))).add_text(std::to_string(page.count));
  return fin;
}

}  // namespace ofs::im
