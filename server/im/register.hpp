#pragma once
// XEP-0077 in-band registration. Before authentication (only when im_config.registration
// is on): the registration form and account creation with SCRAM-SHA-1 and -256
// credentials, at most im_config.registrations_per_ip_hour accounts per remote address;
// the c2s front-end reaches it through service::preauth_register(). After authentication
// (always): password change and account removal for the user's own account.
#include <string_view>

namespace ofs::im {

class service;

inline constexpr std::string_view register_ns = "jabber:iq:register";
inline constexpr std::string_view register_feature_ns = "http://jabber.org/features/iq-register";

void install_register(service& svc);

}  // namespace ofs::im
