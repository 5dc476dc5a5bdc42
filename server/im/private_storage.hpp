#pragma once
// XEP-0049 private XML storage (jabber:iq:private): a user keeps arbitrary elements on
// their own account, one per (name, namespace). jabber:* namespaces are reserved.
#include <cstddef>

namespace ofs::im {

class service;

inline constexpr std::size_t private_item_max_bytes = 64 * 1024;

void install_private_storage(service& svc);

}  // namespace ofs::im
