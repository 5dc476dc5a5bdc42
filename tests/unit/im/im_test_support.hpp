#pragma once
// A real router, IM service and memory store with fake client sessions, on one io_context
// run until idle after every step, so that scenarios read like the RFC's examples.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"

namespace ofs::im::test {

namespace asio = boost::asio;

// Records what it is handed, from any thread.
class fake_session final : public client_session {
public:
  explicit fake_session(core::jid address) : address_(std::move(address)) {}
  const core::jid& address() const override { return address_; }
  void deliver(core::stanza s) override {
    std::lock_guard lock(mutex_);
    received_.push_back(std::move(s));
  }
  void terminate(std::string_view, std::string_view) override {}
  std::string remote_address() const override { return "192.0.2.1"; }
  // What arrived since the last take().
  std::vector<core::stanza> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(received_, {});
  }

private:
  core::jid address_;
  std::mutex mutex_;
  std::vector<core::stanza> received_;
};

using session_ptr = std::shared_ptr<fake_session>;
using stanzas = std::vector<core::stanza>;
using strings = std::vector<std::string>;
using predicate = std::function<bool(const core::stanza&)>;

inline core::jid jid(std::string_view text) { return core::jid::parse(text).value(); }
// One stanza as a client would send it, parsed by the real stream parser.
core::stanza parse(std::string_view xml);
std::string str(const core::stanza& s);
std::string dump(const stanzas& v);  // for failure messages

std::size_t count(const stanzas& v, const predicate& p);
// A presence of this type ("" = available) from this address (a full or bare JID).
predicate presence(std::string type, std::string from);
predicate iq_result(std::string id);
predicate iq_error(std::string id, std::string condition);
// "contact subscription[ ask][ approved]" for every roster push in v, in order.
strings pushes(const stanzas& v);

struct harness {
  asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  service svc{router, store, io.get_executor(), {}};
  stanzas remote;  // what went to other domains (the s2s route)

  // Installs the IM layer; accounts romeo, juliet, nurse, benvolio, mercutio@example.com.
  harness();

  template <class T>
  T sync(asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    run();
    return f.get();
  }
  void run() {
    io.restart();
    io.run();
  }

  session_ptr login(std::string_view full);
  // As a front-end does: 'from' stamped with the session's full JID.
  void send(fake_session& from, std::string_view xml);
  // From another server, through the router as s2s would hand it over.
  void inbound(std::string_view xml);
  void unbind(fake_session& s);
  // Logged in, roster requested, initial presence sent; what arrived so far is dropped.
  session_ptr online(std::string_view full, std::string_view presence = "<presence/>");
  // Subscription state written straight into the store, as left by earlier sessions.
  void seed(std::string_view owner, std::string_view contact, storage::subscription sub);
  void befriend(std::string_view a, std::string_view b);
  // The stored state of owner's item for contact: "none", "to+out", "from+in", "absent"...
  std::string state(std::string_view owner, std::string_view contact);
};

}  // namespace ofs::im::test
