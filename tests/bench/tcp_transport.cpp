// XMPP over TCP for the load generator: <stream:stream> framing, STARTTLS on request, every
// queued stanza in one write.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "server/xml/serializer.hpp"
#include "tests/bench/transport.hpp"

namespace ofs::bench {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

// The parser copies what it keeps and a plaintext read is fed before the next suspension,
// so one buffer per thread serves every client (5,000 idle clients need no 5,000 buffers).
std::array<char, 64 * 1024>& shared_read_buffer() {
  thread_local std::array<char, 64 * 1024> buffer;
  return buffer;
}

class tcp_transport final : public transport {
public:
  tcp_transport(asio::io_context& io, asio::ip::address source) : socket_(io), source_(source) {}

  asio::awaitable<std::string> connect(tcp::endpoint server) override {
    if (!source_.is_unspecified()) {
      boost::system::error_code bec;
      socket_.open(server.protocol(), bec);
      if (!bec) socket_.bind({source_, 0}, bec);
      if (bec) co_return "bind to " + source_.to_string() + ": " + bec.message();
    }
    auto [ec] = co_await socket_.async_connect(server, nothrow);
    if (ec) co_return "connect: " + ec.message();
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    socket_.non_blocking(true, ignored);
    co_return std::string();
  }

  asio::awaitable<bool> read(xml::stream_parser& parser) override {
    if (closed_) co_return false;
    if (tls_) {
      auto [ec, n] = co_await tls_->async_read_some(asio::buffer(*tls_buffer_), nothrow);
      if (ec) co_return false;
      parser.feed({tls_buffer_->data(), n});
      co_return true;
    }
    for (;;) {  // wait, then read into the shared buffer: no buffer held while idle
      auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, nothrow);
      if (ec || closed_) co_return false;
      auto& buffer = shared_read_buffer();
      boost::system::error_code rec;
      std::size_t n = socket_.read_some(asio::buffer(buffer), rec);
      if (rec == asio::error::would_block) continue;
      if (rec) co_return false;
      parser.feed({buffer.data(), n});
      co_return true;
    }
  }

  void open_stream(std::string_view domain) override {
    std::string header = "<?xml version='1.0'?><stream:stream to='";
    xml::append_escaped_attr(domain, header);
    header += "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
    send(header);
  }

  void send(std::string_view xml) override {
    if (closed_) return;
    out_.append(xml);
    if (!writing_) flush();
  }

  asio::awaitable<std::string> start_tls(tls_client& tls, std::string user) override {
    tls_ = std::make_unique<tls_stream>(socket_, tls.context());
    tls.prepare(tls_->native_handle(), user);
    tls_buffer_ = std::make_unique<std::array<char, 16384>>();
    boost::system::error_code ignored;
    socket_.non_blocking(false, ignored);
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, nothrow);
    if (ec) co_return "TLS handshake: " + ec.message();
    tls.handshake_done(tls_->native_handle());
    co_return std::string();
  }

  void close() override {
    if (closed_) return;
    if (!writing_ && socket_.is_open() && !tls_) {  // best effort: a clean end of stream
      boost::system::error_code ignored;
      socket_.write_some(asio::buffer(std::string_view("</stream:stream>")), ignored);
    }
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

private:
  void flush() {
    if (out_.empty() || closed_) return;
    writing_ = true;
    std::swap(out_, inflight_);
    out_.clear();
    auto done = [this](boost::system::error_code ec, std::size_t) {
      writing_ = false;
      if (ec) {
        if (on_failure) on_failure("write: " + ec.message());
        return;
      }
      flush();
    };
    if (tls_)
      asio::async_write(*tls_, asio::buffer(inflight_), done);
    else
      asio::async_write(socket_, asio::buffer(inflight_), done);
  }

  using tls_stream = asio::ssl::stream<tcp::socket&>;
  tcp::socket socket_;
  asio::ip::address source_;
  std::unique_ptr<tls_stream> tls_;
  std::unique_ptr<std::array<char, 16384>> tls_buffer_;
  std::string out_, inflight_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<transport> make_tcp_transport(asio::io_context& io, asio::ip::address source) {
  return std::make_unique<tcp_transport>(io, source);
}

}  // namespace ofs::bench
