#pragma once
// XEP-0199 ping to the server: client keepalives and round-trip checks. A ping without
// 'to' arrives addressed to the sender's own account and is answered the same way.
namespace ofs::im {

class service;
void install_ping(service& svc);

}  // namespace ofs::im
