#pragma once
// A transport with no socket, for driving a stream_driver from a test: input is handed in
// with feed(), output is collected as text. Can be told to throw from write(), to stand in
// for a bug anywhere under a handler.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <stdexcept>
#include <string>

#include "server/xmpp/stream_driver.hpp"
#include "server/xmpp/transport.hpp"

namespace ofs::xmpp::test {

class fake_transport final : public transport {
public:
  explicit fake_transport(boost::asio::any_io_executor ex) : executor_(std::move(ex)) {}

  std::string output;
  bool closed = false;
  bool throw_on_write = false;
  bool tls = false;
  bool ready_at_start = true;  // false: like a TLS handshake that never completes

  // From the test: the next input, delivered once the driver reads.
  void feed(std::string bytes) {
    inputs_.push_back(std::move(bytes));
    if (reading_) deliver();
  }

  input_framing framing() const override { return input_framing::byte_stream; }
  boost::asio::any_io_executor executor() const override { return executor_; }
  void attach(stream_driver& driver) override { driver_ = &driver; }
  void start() override {
    if (ready_at_start) driver_->on_ready();
  }
  void read() override {
    reading_ = true;
    if (closed || !inputs_.empty()) deliver();
  }
  void write(std::string bytes) override {
    if (throw_on_write) throw std::runtime_error("injected failure");
    if (!closed) output += bytes;
  }
  void write(std::string bytes, std::function<void(bool)> done) override {
    write(std::move(bytes));
    done(!closed);
  }
  void open_stream(std::string_view attributes) override {
    write("<stream:stream " + std::string(attributes) + ">");
  }
  void close_stream() override {
    write("</stream:stream>");
    close();
  }
  void close() override {
    closed = true;
    if (reading_ || !ready_at_start) deliver();  // as a failed read or handshake reports it
  }
  bool tls_active() const override { return tls; }
  bool starttls_possible() const override { return !tls; }
  boost::asio::awaitable<bool> start_tls() override {
    tls = true;
    co_return true;
  }
  auth::channel_binding channel_binding() const override { return {}; }
  std::string remote_address() const override { return "192.0.2.7"; }
  std::string_view kind() const override { return "fake"; }
  bool remote_is_loopback() const override { return false; }

private:
  void deliver() {
    reading_ = false;
    boost::asio::post(executor_, driver_->handler([this] {
      if (closed) return driver_->on_closed();
      std::string in = std::move(inputs_.front());
      inputs_.pop_front();
      driver_->on_input(in);
    }));
  }

  boost::asio::any_io_executor executor_;
  stream_driver* driver_ = nullptr;
  std::deque<std::string> inputs_;
  bool reading_ = false;
};

}  // namespace ofs::xmpp::test
