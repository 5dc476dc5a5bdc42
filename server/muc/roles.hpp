#pragma once
// XEP-0045 affiliations (long-lived, per bare JID) and roles (per visit), and the rules of
// who may change whose: the tables of XEP-0045 sections 5.1 and 5.2, in one place.
#include <optional>
#include <string_view>

namespace ofs::muc {

enum class affiliation { outcast, none, member, admin, owner };  // ordered by privilege
enum class role { none, visitor, participant, moderator };

std::string_view to_string(affiliation a);
std::string_view to_string(role r);
std::optional<affiliation> affiliation_from_string(std::string_view s);
std::optional<role> role_from_string(std::string_view s);

// The role an occupant gets on entering (XEP-0045 5.1.2).
role default_role(affiliation a, bool moderated);

// May an occupant of affiliation `actor` (and role `actor_role`) give `target`'s occupant the
// role `to`? (XEP-0045 8.2 to 8.6, 9.6, 9.7.) Kicking is a change to role none.
bool may_set_role(affiliation actor, role actor_role, affiliation target, role target_role, role to);
// May `actor` change an affiliation from `from` to `to`? (XEP-0045 9.1 to 9.5, 10.3 to 10.7.)
bool may_set_affiliation(affiliation actor, affiliation from, affiliation to);

}  // namespace ofs::muc
