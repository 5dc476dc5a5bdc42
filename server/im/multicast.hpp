#pragma once
// XEP-0033 extended stanza addressing, with the server as its users' multicast service: one
// message to the domain reaches every 'to', 'cc' and 'bcc' address it lists.
namespace ofs::im {

class service;
void install_multicast(service& svc);

}  // namespace ofs::im
