#pragma once
// One accepted WebSocket connection as whole messages, whatever is below it (TCP or TLS):
// the seam between ws_transport and Beast's templated websocket::stream. At most one read
// and one write or close at a time, all on the connection's strand.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/system/error_code.hpp>
#include <string_view>

namespace ofs::ws {

struct read_result {
  boost::system::error_code ec;
  bool text = false;  // a text message (else binary)
};

class message_stream {
public:
  virtual ~message_stream() = default;
  // Reads one whole message; message() holds it until the next read.
  virtual boost::asio::awaitable<read_result> read() = 0;
  virtual std::string_view message() const = 0;
  // Sends one text message; message must stay valid until this completes.
  virtual boost::asio::awaitable<boost::system::error_code> write(std::string_view message) = 0;
  // The close handshake with this code; bounded by the stream's handshake timeout.
  virtual boost::asio::awaitable<void> close(boost::beast::websocket::close_code code) = 0;
  // Closes the socket: pending operations end at once.
  virtual void abort() = 0;
};

}  // namespace ofs::ws
