#include "server/core/stanza_error.hpp"

#include <array>
#include <utility>

namespace ofs::core {
namespace {

struct condition_info {
  condition cond;
  std::string_view name;
  error_type type;
};

// RFC 6120 8.3.3: each condition with the type its examples use.
constexpr std::array<condition_info, 22> conditions{{
    {condition::bad_request, "bad-request", error_type::modify},
    {condition::conflict, "conflict", error_type::cancel},
    {condition::feature_not_implemented, "feature-not-implemented", error_type::cancel},
    {condition::forbidden, "forbidden", error_type::auth},
    {condition::gone, "gone", error_type::cancel},
    {condition::internal_server_error, "internal-server-error", error_type::cancel},
    {condition::item_not_found, "item-not-found", error_type::cancel},
    {condition::jid_malformed, "jid-malformed", error_type::modify},
    {condition::not_acceptable, "not-acceptable", error_type::modify},
    {condition::not_allowed, "not-allowed", error_type::cancel},
    {condition::not_authorized, "not-authorized", error_type::auth},
    {condition::policy_violation, "policy-violation", error_type::modify},
    {condition::recipient_unavailable, "recipient-unavailable", error_type::wait},
    {condition::redirect, "redirect", error_type::modify},
    {condition::registration_required, "registration-required", error_type::auth},
    {condition::remote_server_not_found, "remote-server-not-found", error_type::cancel},
    {condition::remote_server_timeout, "remote-server-timeout", error_type::wait},
    {condition::resource_constraint, "resource-constraint", error_type::wait},
    {condition::service_unavailable, "service-unavailable", error_type::cancel},
    {condition::subscription_required, "subscription-required", error_type::auth},
    {condition::undefined_condition, "undefined-condition", error_type::cancel},
    {condition::unexpected_request, "unexpected-request", error_type::wait},
}};

const condition_info& info(condition c) { return conditions[static_cast<std::size_t>(c)]; }

}  // namespace

std::string_view to_string(condition c) { return info(c).name; }
error_type default_type(condition c) { return info(c).type; }

std::string_view to_string(error_type t) {
  switch (t) {
    case error_type::auth: return "auth";
    case error_type::cancel: return "cancel";
    case error_type::continue_: return "continue";
    case error_type::modify: return "modify";
    case error_type::wait: return "wait";
  }
  return "cancel";
}

std::optional<condition> condition_from_string(std::string_view name) {
  for (const auto& c : conditions)
    if (c.name == name) return c.cond;
  return std::nullopt;
}

element make_error_element(const stanza_error& e) {
  element err("error", std::string(ns::client));
  err.set_attr("type", std::string(to_string(e.type.value_or(default_type(e.cond)))));
  err.add_child(element(std::string(to_string(e.cond)), std::string(ns::stanzas)));
  if (!e.text.empty()) err.add_child(element("text", std::string(ns::stanzas))).add_text(e.text);
  return err;
}

stanza make_error_reply(const stanza& original, const stanza_error& e) {
  stanza reply = original;
  element& x = reply.mutable_xml();
  x.set_attr("type", "error");
  x.remove_children("error");
  x.add_child(make_error_element(e));
  jid to = original.from(), from = original.to();
  reply.set_to(std::move(to));
  reply.set_from(std::move(from));
  return reply;
}

}  // namespace ofs::core
