#pragma once
// Hearing of presence changes outside the IM layer (the status images' live updates): the
// session registry calls the observer with the bare JID after a resource's presence changed
// or an available resource was unbound, on the thread that changed it, outside its locks.
#include <functional>

#include "server/core/jid.hpp"

namespace ofs::core {

class session_registry;
using presence_observer = std::function<void(const jid& bare)>;

// Set before serving; nullptr removes it once no thread can change presence any more.
void observe_presence(const session_registry& registry, presence_observer fn);

}  // namespace ofs::core
