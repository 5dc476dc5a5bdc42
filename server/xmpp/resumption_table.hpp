#pragma once
// XEP-0198: the resumable sessions of every client transport, by SM-ID. The SM-ID is 128 bits
// from the CSPRNG and is bound to the account: looked up with another account, it is as
// unknown. Keeps each registered session alive until it ends. Thread-safe.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/core/jid.hpp"

namespace ofs::xmpp {

class c2s_session;

class resumption_table {
public:
  resumption_table() = default;
  resumption_table(const resumption_table&) = delete;
  resumption_table& operator=(const resumption_table&) = delete;

  // Registers s; returns its SM-ID.
  std::string add(std::shared_ptr<c2s_session> s);
  // The session registered under id for this account (a bare JID), or nullptr: the same
  // answer for an unknown id and for another account's.
  std::shared_ptr<c2s_session> find(std::string_view id, const core::jid& account) const;
  void remove(const std::string& id, const c2s_session* s);
  // False once closing: a session whose connection is lost then ends at once.
  bool accepting() const;
  // Shutdown, before the IM layer closes: stop accepting and end every registered session
  // (their unacknowledged stanzas go to offline storage). Any thread.
  void close();
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<c2s_session>> sessions_;
  bool closed_ = false;
};

}  // namespace ofs::xmpp
