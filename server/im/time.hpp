#pragma once
// XEP-0202 entity time of the server. The offset is always +00:00: the server's own time
// zone is nobody's business, and UTC is what clients compare against.
namespace ofs::im {

class service;
void install_time(service& svc);

}  // namespace ofs::im
