#pragma once
// A real router and IM service (every feature installed) over a store wrapped in a
// fault_injecting_store, with fake client sessions, on one io_context run until idle after
// each step (never longer than a deadline, which fails the test). The backend can outlive
// the harness, so a second harness sees what the first one stored (a restarted server).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/storage/fault_injecting_store.hpp"
#include "server/storage/memory_store.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::im::test {

namespace asio = boost::asio;
using stanzas = std::vector<core::stanza>;
using strings = std::vector<std::string>;
using faults = storage::fault_injecting_store::op;

// Records what it is handed, from any thread. Once ended() it behaves as a closing c2s
// stream: nothing more is written, plain stanzas go to router::undeliverable and confirmed
// ones answer false. With hold_writes() confirmations wait for finish_writes().
class fake_client final : public core::endpoint {
public:
  fake_client(core::jid address, std::string ip, core::router& router)
      : address_(std::move(address)), ip_(std::move(ip)), router_(router) {}
  const core::jid& address() const override { return address_; }
  void deliver(core::stanza s) override;
  void deliver(core::stanza s, std::function<void(bool)> written) override;
  void terminate(std::string_view condition, std::string_view) override;
  std::string remote_address() const override { return ip_; }
  std::string_view transport() const override { return "fake"; }

  stanzas take();  // what arrived since the last take()
  std::string terminated();
  void end();  // closing: writes nothing more
  void hold_writes();
  void finish_writes(bool ok);  // answers the held confirmations

private:
  core::jid address_;
  std::string ip_;
  core::router& router_;
  std::mutex mutex_;
  stanzas received_;
  std::string terminated_;
  bool ended_ = false, holding_ = false;
  std::vector<std::function<void(bool)>> held_;
};
using client_ptr = std::shared_ptr<fake_client>;

inline core::jid jid(std::string_view text) { return core::jid::parse(text).value(); }
// One element as a client would send it, through the real stream parser.
core::element parse_element(std::string_view xml);
core::stanza parse(std::string_view xml);
std::string str(const core::stanza& s);
std::string dump(const stanzas& v);  // for failure messages

using predicate = std::function<bool(const core::stanza&)>;
const core::stanza* find(const stanzas& v, const predicate& p);
std::size_t count(const stanzas& v, const predicate& p);
bool has_error(const core::stanza& s, std::string_view condition, std::string_view type = {});
// A presence of this type ("" = available) from this address (a full or bare JID).
predicate presence(std::string type, std::string from);
predicate iq_result(std::string id);
predicate iq_error(std::string id, std::string condition, std::string type = {});
predicate message_error(std::string condition, std::string type = {});
predicate chat_message();
// "contact subscription[ ask][ approved]" for every roster push in v, in order.
strings pushes(const stanzas& v);

struct harness {
  // Accounts romeo, juliet, nurse, benvolio and mercutio@example.com exist.
  explicit harness(im_config config = {},
                   std::shared_ptr<storage::store> backend = std::make_shared<storage::memory_store>());
  ~harness();

  template <class T>
  T sync(asio::awaitable<T> op) {
    auto f = asio::co_spawn(io, std::move(op), asio::use_future);
    run();
    if (f.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
      throw std::runtime_error("a coroutine did not finish before the deadline");
    return f.get();
  }
  void run();  // until idle; past the deadline the test fails
  // Runs until done() holds; false (and the test fails) past the timeout.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  client_ptr login(std::string_view full, std::string ip = "192.0.2.1");
  // Logged in, roster requested, initial presence sent; what arrived so far is dropped.
  client_ptr online(std::string_view full, std::string_view presence = "<presence/>");
  // As a front-end does: 'from' stamped with the session's full JID. post_only: not run.
  void send(fake_client& from, std::string_view xml, bool post_only = false);
  void inbound(std::string_view xml);  // from another server, as s2s hands it over
  void unbind(fake_client& c);
  // Subscription state written straight into the store, as left by earlier sessions.
  void seed(std::string_view owner, std::string_view contact, storage::subscription sub);
  void befriend(std::string_view a, std::string_view b);
  // The stored state of owner's item for contact: "none", "to+out", "from+in", "absent"...
  std::string state(std::string_view owner, std::string_view contact);
  std::vector<storage::offline_message> offline(std::string_view owner);

  asio::io_context io;
  std::shared_ptr<storage::store> backend;
  storage::fault_injecting_store store{*backend};  // what the service uses
  core::router router{{"example.com"}};
  service svc;
  stanzas remote;  // what went to other domains (the s2s route)
  std::chrono::seconds deadline{10};
};

}  // namespace ofs::im::test
