#pragma once
// The names c2s_listener knows the TCP transport by.
// TODO(c2s): the listener can name tcp_transport itself; then this header goes.
#include "server/xmpp/tcp_transport.hpp"

namespace ofs::xmpp {

using tcp_session = tcp_transport;
using tcp_session_options = tcp_transport_options;

}  // namespace ofs::xmpp
