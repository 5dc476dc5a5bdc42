#pragma once
// A room's configuration (XEP-0045 section 10 and its muc#roomconfig form, XEP-0004) and its
// conversion to and from the data form, which is also how a persistent room's configuration
// is stored.
#include <cstddef>
#include <optional>
#include <string>

#include "server/core/element.hpp"

namespace ofs::muc {

inline constexpr std::string_view roomconfig_form_type = "http://jabber.org/protocol/muc#roomconfig";
inline constexpr std::string_view data_forms_ns = "jabber:x:data";

struct room_config {
  std::string name, description;
  bool persistent = false;
  bool public_room = true;
  bool members_only = false;
  bool moderated = false;
  bool password_protected = false;
  std::string password;
  bool non_anonymous = false;   // muc#roomconfig_whois = anyone
  bool change_subject = false;  // participants (not only moderators) may change the subject
  bool allow_invites = true;    // participants may invite (members-only rooms: else admins only)
  bool allow_pm = true;
  bool archiving = true;  // muc#roomconfig_enablearchiving; only persistent rooms have an archive
  std::size_t max_occupants = 200;
  std::size_t history_length = 20;
  friend bool operator==(const room_config&, const room_config&) = default;
};

// The form an owner is sent (type form), with the current values.
core::element make_config_form(const room_config& c, std::size_t max_occupants_limit);
// The form as submitted, applied to `c`; a malformed form (wrong FORM_TYPE, a boolean that
// is not one, a number out of range, a password-protected room without a password) gives the
// reason and changes nothing.
struct form_error {
  std::string text;
};
std::optional<form_error> apply_config_form(const core::element& x, room_config& c,
                                            std::size_t max_occupants_limit);
// Stored form: the submit form of every field.
core::element make_submit_form(const room_config& c);

}  // namespace ofs::muc
