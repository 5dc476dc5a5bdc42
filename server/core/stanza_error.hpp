#pragma once
// The stanza error vocabulary of RFC 6120 section 8.3, shared by every front-end: a
// protocol mistake becomes a core::stanza_error, which each front-end maps to its own format.
#include <optional>
#include <string>
#include <string_view>

#include "server/core/stanza.hpp"

namespace ofs::core {

enum class error_type { auth, cancel, continue_, modify, wait };

enum class condition {
  bad_request,
  conflict,
  feature_not_implemented,
  forbidden,
  gone,
  internal_server_error,
  item_not_found,
  jid_malformed,
  not_acceptable,
  not_allowed,
  not_authorized,
  policy_violation,
  recipient_unavailable,
  redirect,
  registration_required,
  remote_server_not_found,
  remote_server_timeout,
  resource_constraint,
  service_unavailable,
  subscription_required,
  undefined_condition,
  unexpected_request,
};

struct stanza_error {
  stanza_error(condition c, std::optional<error_type> t = std::nullopt, std::string why = {})
      : cond(c), type(t), text(std::move(why)) {}
  condition cond;
  std::optional<error_type> type;  // when unset, the RFC's usual type for the condition
  std::string text;
};

std::string_view to_string(condition c);
std::string_view to_string(error_type t);
std::optional<condition> condition_from_string(std::string_view name);
error_type default_type(condition c);

// The <error/> child for e.
element make_error_element(const stanza_error& e);
// The reply to `original`: addresses swapped, type="error", the original payload kept (as
// RFC 6120 8.3.1 permits) and the <error/> child added. Never call it on an error stanza.
stanza make_error_reply(const stanza& original, const stanza_error& e);

}  // namespace ofs::core
