#pragma once
// A real router, IM service (every feature installed) and memory store with fake client
// sessions on one io_context, run until idle after each step. The store can outlive the
// harness, so a second harness sees what the first one stored (a restarted server).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::im::features_test {

namespace asio = boost::asio;
using stanzas = std::vector<core::stanza>;

class fake_client final : public client_session {
public:
  fake_client(core::jid address, std::string ip) : address_(std::move(address)), ip_(std::move(ip)) {}
  const core::jid& address() const override { return address_; }
  void deliver(core::stanza s) override {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(s));
  }
  void terminate(std::string_view condition, std::string_view) override {
    std::lock_guard lock(mutex_);
    terminated_ = condition;
  }
  std::string remote_address() const override { return ip_; }
  stanzas take() {  // what arrived since the last take()
    std::lock_guard lock(mutex_);
    return std::exchange(received_, {});
  }
  std::string terminated() {
    std::lock_guard lock(mutex_);
    return terminated_;
  }

private:
  core::jid address_;
  std::string ip_;
  std::mutex mutex_;
  stanzas received_;
  std::string terminated_;
};
using client_ptr = std::shared_ptr<fake_client>;

inline core::jid jid(std::string_view text) { return core::jid::parse(text).value(); }

// One element as a client would send it, through the real stream parser.
core::element parse_element(std::string_view xml);
core::stanza parse(std::string_view xml);
std::string str(const core::stanza& s);
std::string dump(const stanzas& v);

using predicate = std::function<bool(const core::stanza&)>;
inline const core::stanza* find(const stanzas& v, const predicate& p) {
  for (const auto& s : v)
    if (p(s)) return &s;
  return nullptr;
}
inline std::size_t count(const stanzas& v, const predicate& p) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), p));
}
inline predicate iq_result(std::string id) {
  return [=](const core::stanza& s) { return s.name() == "iq" && s.type() == "result" && s.id() == id; };
}
inline bool has_error(const core::stanza& s, std::string_view condition) {
  const core::element* e = s.xml().child("error");
  return s.type() == "error" && e && e->child(condition, core::ns::stanzas);
}
inline predicate iq_error(std::string id, std::string condition) {
  return [=](const core::stanza& s) { return s.name() == "iq" && s.id() == id && has_error(s, condition); };
}
inline predicate message_error(std::string condition) {
  return [=](const core::stanza& s) { return s.name() == "message" && has_error(s, condition); };
}
inline predicate chat_message() {
  return [](const core::stanza& s) { return s.name() == "message" && s.type() != "error"; };
}

struct harness {
  explicit harness(im_config config = {},
                   std::shared_ptr<storage::memory_store> shared = std::make_shared<storage::memory_store>());
  ~harness() { run(); }

  template <class T>
  T sync(asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    run();
    return f.get();
  }
  void run();  // until idle; a deadline only stops a hang

  client_ptr login(std::string_view full, std::string ip = "192.0.2.1");
  // Logged in and initial presence sent; what arrived so far is dropped.
  client_ptr online(std::string_view full, std::string_view presence = "<presence/>");
  // As a front-end does: 'from' stamped with the session's full JID.
  void send(fake_client& from, std::string_view xml);
  void inbound(std::string_view xml);  // from another server, as s2s hands it over
  void unbind(fake_client& c);
  void seed(std::string_view owner, std::string_view contact, storage::subscription sub);
  void befriend(std::string_view a, std::string_view b);
  std::vector<storage::offline_message> offline(std::string_view owner);

  asio::io_context io;
  std::shared_ptr<storage::memory_store> store;
  core::router router{{"example.com"}};
  service svc;
  stanzas remote;  // what went to other domains
};

}  // namespace ofs::im::features_test
