#pragma once
// ofsctl's side of the control socket (server/app/control_socket.hpp): one request, one
// reply, bounded in time.
#include <boost/json/object.hpp>
#include <filesystem>
#include <string>

namespace ofs::ctl {

struct control_reply {
  boost::json::object value;  // the server's reply when error is empty
  std::string error;          // cannot connect, refused, no answer...
  bool not_running = false;   // nobody listens on the socket: ofsd is stopped
};

control_reply ask_server(const std::filesystem::path& socket, const boost::json::object& request);

}  // namespace ofs::ctl
