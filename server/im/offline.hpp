#pragma once
// XEP-0160 offline messages. A chat or normal message to a local account that has no
// available resource of non-negative priority is stored (with a XEP-0203 delay stamp) on
// the owner's shard, and handed to the owner's next session after its initial presence.
namespace ofs::im {

class service;

// Registers a low-priority bare-JID message hook (access control runs before it) and the
// initial-presence delivery; advertises "msgoffline".
void install_offline(service& svc);

}  // namespace ofs::im
