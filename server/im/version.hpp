#pragma once
// XEP-0092 software version of the server: name and version from im_config. The
// operating system is not disclosed.
namespace ofs::im {

class service;
void install_version(service& svc);

}  // namespace ofs::im
