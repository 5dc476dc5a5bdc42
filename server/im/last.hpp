#pragma once
// XEP-0012 last activity: the server's uptime when asked at the domain; for an account,
// the seconds since its last session ended (0 while it is online), answered on the user's
// behalf to the user and to contacts with a presence subscription. The logout time is
// kept in the private store under "last" when the account's last session unbinds.
namespace ofs::im {

class service;
void install_last(service& svc);

}  // namespace ofs::im
