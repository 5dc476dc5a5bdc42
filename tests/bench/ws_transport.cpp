// XMPP over WebSocket (RFC 7395) for the load generator, on Beast's websocket client: one XML
// document per text message, <open/> and <close/> in the framing namespace, and every
// stanza carrying its own xmlns='jabber:client'.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>

#include "server/xml/serializer.hpp"
#include "tests/bench/transport.hpp"

namespace ofs::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// Each message is a document of its own (RFC 7395 3.3.3), so a stanza written for a
// jabber:client stream gets that namespace on its root unless it names one.
std::string with_client_namespace(std::string_view xml) {
  const auto start_tag = xml.substr(0, xml.find('>'));
  if (start_tag.find(" xmlns=") != std::string_view::npos) return std::string(xml);
  const auto name_end = std::min(xml.find_first_of(" />", 1), xml.size());
  std::string out;
  out.reserve(xml.size() + 22);
  out.append(xml.substr(0, name_end));
  out += " xmlns='jabber:client'";
  out.append(xml.substr(name_end));
  return out;
}

class ws_transport final : public transport {
public:
  ws_transport(asio::io_context& io, std::string host, std::string path)
      : ws_(io), host_(std::move(host)), path_(std::move(path)) {}

  asio::awaitable<std::string> connect(tcp::endpoint server) override {
    auto [ec] = co_await ws_.next_layer().async_connect(server, nothrow);
    if (ec) co_return "connect: " + ec.message();
    boost::system::error_code ignored;
    ws_.next_layer().set_option(tcp::no_delay(true), ignored);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& req) { req.set(beast::http::field::sec_websocket_protocol, "xmpp"); }));
    websocket::response_type response;
    auto [hec] = co_await ws_.async_handshake(response, host_, path_, nothrow);
    if (hec) co_return "WebSocket handshake on " + path_ + ": " + hec.message();
    if (response[beast::http::field::sec_websocket_protocol] != "xmpp")
      co_return "the server did not accept the WebSocket subprotocol xmpp";
    ws_.text(true);
    co_return std::string();
  }

  asio::awaitable<bool> read(xml::stream_parser& parser) override {
    if (closed_) co_return false;
    in_.clear();
    auto [ec, n] = co_await ws_.async_read(in_, nothrow);
    if (ec || closed_) co_return false;
    const auto data = in_.cdata();
    parser.feed_document({static_cast<const char*>(data.data()), data.size()});
    co_return true;
  }

  void open_stream(std::string_view domain) override {
    std::string open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='";
    xml::append_escaped_attr(domain, open);
    open += "' version='1.0'/>";
    send(open);
  }

  void send(std::string_view xml) override {
    if (closed_) return;
    out_.push_back(with_client_namespace(xml));
    if (!writing_) write_next();
  }

  asio::awaitable<std::string> start_tls(tls_client&, std::string) override {
    co_return "STARTTLS is not part of XMPP over WebSocket (wss:// is not implemented here)";
  }

  // Says <close/> when nothing else is being written, then drops the connection without
  // waiting for the server's answer.
  void close() override {
    if (closed_) return;
    closed_ = true;
    if (writing_ || !ws_.is_open()) return shut();
    out_.clear();
    out_.push_back("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    writing_ = true;
    ws_.async_write(asio::buffer(out_.front()), [this](boost::system::error_code, std::size_t) {
      writing_ = false;
      shut();
    });
  }

private:
  void write_next() {
    if (out_.empty() || closed_) return;
    writing_ = true;
    ws_.async_write(asio::buffer(out_.front()), [this](boost::system::error_code ec, std::size_t) {
      writing_ = false;
      if (closed_) return shut();
      if (ec) {
        if (on_failure) on_failure("write: " + ec.message());
        return;
      }
      out_.pop_front();
      write_next();
    });
  }

  void shut() {
    boost::system::error_code ignored;
    ws_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    ws_.next_layer().close(ignored);
  }

  websocket::stream<tcp::socket> ws_;
  std::string host_, path_;
  beast::flat_buffer in_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<transport> make_ws_transport(asio::io_context& io, std::string host, std::string path) {
  return std::make_unique<ws_transport>(io, std::move(host), std::move(path));
}

}  // namespace ofs::bench
