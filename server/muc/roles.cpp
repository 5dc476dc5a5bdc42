#include "server/muc/roles.hpp"

#include <array>

namespace ofs::muc {
namespace {
constexpr std::array<std::string_view, 5> affiliation_names{"outcast", "none", "member", "admin", "owner"};
constexpr std::array<std::string_view, 4> role_names{"none", "visitor", "participant", "moderator"};
}  // namespace

std::string_view to_string(affiliation a) { return affiliation_names[static_cast<std::size_t>(a)]; }
std::string_view to_string(role r) { return role_names[static_cast<std::size_t>(r)]; }

std::optional<affiliation> affiliation_from_string(std::string_view s) {
  for (std::size_t i = 0; i < affiliation_names.size(); ++i)
    if (affiliation_names[i] == s) return static_cast<affiliation>(i);
  return std::nullopt;
}

std::optional<role> role_from_string(std::string_view s) {
  for (std::size_t i = 0; i < role_names.size(); ++i)
    if (role_names[i] == s) return static_cast<role>(i);
  return std::nullopt;
}

role default_role(affiliation a, bool moderated) {
  switch (a) {
    case affiliation::owner:
    case affiliation::admin: return role::moderator;
    case affiliation::member: return role::participant;
    case affiliation::none: return moderated ? role::visitor : role::participant;
    case affiliation::outcast: return role::none;
  }
  return role::none;
}

bool may_set_role(affiliation actor, role actor_role, affiliation target, role target_role, role to) {
  if (actor_role != role::moderator) return false;
  // Nobody changes the role of an owner or admin but by their affiliation (XEP-0045 8.2, 9.6).
  if (target >= affiliation::admin) return false;
  // A moderator who is not admin or owner may not revoke moderator status (XEP-0045 9.7).
  if (target_role == role::moderator && actor < affiliation::admin) return false;
  if (to == role::moderator) return actor >= affiliation::admin;
  return true;
}

bool may_set_affiliation(affiliation actor, affiliation from, affiliation to) {
  if (actor == affiliation::owner) return true;  // the last owner is checked by the room
  if (actor != affiliation::admin) return false;
  // Admins manage members and outcasts, never admins or owners (XEP-0045 9.1 to 9.5).
  return from < affiliation::admin && to < affiliation::admin;
}

}  // namespace ofs::muc
