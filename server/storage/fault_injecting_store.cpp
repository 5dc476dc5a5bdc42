#include "server/storage/fault_injecting_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ofs::storage {
namespace asio = boost::asio;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);  // errors as values

void fault_injecting_store::fail(op o, std::size_t times) {
  std::lock_guard lock(mutex_);
  fail_left_[static_cast<std::size_t>(o)] = times;
}

void fault_injecting_store::fail_all() {
  std::lock_guard lock(mutex_);
  fail_left_.fill(forever);
}

void fault_injecting_store::heal() {
  std::lock_guard lock(mutex_);
  fail_left_.fill(0);
}

void fault_injecting_store::hold(op o, core::jid owner) {
  std::lock_guard lock(mutex_);
  holds_.push_back({o, owner.bare_str()});
}

void fault_injecting_store::release() {
  std::vector<std::shared_ptr<asio::steady_timer>> timers;
  {
    std::lock_guard lock(mutex_);
    holds_.clear();
    timers.swap(waiting_);
  }
  // Each timer on its own executor: the waiting call resumes there.
  for (auto& t : timers) asio::post(t->get_executor(), [t] { t->cancel(); });
}

std::size_t fault_injecting_store::calls(op o) const {
  std::lock_guard lock(mutex_);
  return calls_[static_cast<std::size_t>(o)];
}

std::size_t fault_injecting_store::failures(op o) const {
  std::lock_guard lock(mutex_);
  return failures_[static_cast<std::size_t>(o)];
}

std::size_t fault_injecting_store::waiting() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

asio::awaitable<error_code> fault_injecting_store::enter(op o, core::jid owner) {
  const auto i = static_cast<std::size_t>(o);
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<asio::steady_timer> timer;
  {
    std::lock_guard lock(mutex_);
    ++calls_[i];
    for (const auto& h : holds_)
      if (h.what == o && (h.owner.empty() || h.owner == owner.bare_str())) {
        timer = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
        waiting_.push_back(timer);
        break;
      }
  }
  if (timer) co_await timer->async_wait(nothrow);  // cancelled by release()
  std::lock_guard lock(mutex_);
  if (fail_left_[i] == 0) co_return error_code();
  if (fail_left_[i] != forever) --fail_left_[i];
  ++failures_[i];
  co_return make_error_code(storage_error::unavailable);
}

task<bool> fault_injecting_store::create_account(core::jid account,
                                                 std::vector<auth::scram_credentials> creds) {
  auto gate = enter(op::create_account, account);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<bool>(boost::system::in_place_error, ec);
  auto call = inner_.create_account(std::move(account), std::move(creds));
  co_return co_await std::move(call);
}

task<bool> fault_injecting_store::set_credentials(core::jid account,
                                                  std::vector<auth::scram_credentials> creds) {
  auto gate = enter(op::set_credentials, account);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<bool>(boost::system::in_place_error, ec);
  auto call = inner_.set_credentials(std::move(account), std::move(creds));
  co_return co_await std::move(call);
}

task<bool> fault_injecting_store::remove_account(core::jid account) {
  auto gate = enter(op::remove_account, account);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<bool>(boost::system::in_place_error, ec);
  auto call = inner_.remove_account(std::move(account));
  co_return co_await std::move(call);
}

task<std::optional<std::vector<auth::scram_credentials>>> fault_injecting_store::get_credentials(
    core::jid account) {
  auto gate = enter(op::get_credentials, account);  // named: GCC 12
  if (auto ec = co_await std::move(gate))
    co_return result<std::optional<std::vector<auth::scram_credentials>>>(boost::system::in_place_error, ec);
  auto call = inner_.get_credentials(std::move(account));
  co_return co_await std::move(call);
}

task<std::vector<core::jid>> fault_injecting_store::list_accounts(std::string domain) {
  auto gate = enter(op::list_accounts, core::jid());  // named: GCC 12
  if (auto ec = co_await std::move(gate))
    co_return result<std::vector<core::jid>>(boost::system::in_place_error, ec);
  auto call = inner_.list_accounts(std::move(domain));
  co_return co_await std::move(call);
}

task<roster> fault_injecting_store::load_roster(core::jid owner) {
  auto gate = enter(op::load_roster, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<roster>(boost::system::in_place_error, ec);
  auto call = inner_.load_roster(std::move(owner));
  co_return co_await std::move(call);
}

task<std::uint64_t> fault_injecting_store::put_roster_item(core::jid owner, roster_item item) {
  auto gate = enter(op::put_roster_item, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<std::uint64_t>(boost::system::in_place_error, ec);
  auto call = inner_.put_roster_item(std::move(owner), std::move(item));
  co_return co_await std::move(call);
}

task<std::uint64_t> fault_injecting_store::remove_roster_item(core::jid owner, core::jid contact) {
  auto gate = enter(op::remove_roster_item, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<std::uint64_t>(boost::system::in_place_error, ec);
  auto call = inner_.remove_roster_item(std::move(owner), std::move(contact));
  co_return co_await std::move(call);
}

task<bool> fault_injecting_store::store_offline(core::jid owner, std::string xml, std::size_t quota) {
  auto gate = enter(op::store_offline, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<bool>(boost::system::in_place_error, ec);
  auto call = inner_.store_offline(std::move(owner), std::move(xml), quota);
  co_return co_await std::move(call);
}

task<std::vector<offline_message>> fault_injecting_store::load_offline(core::jid owner) {
  auto gate = enter(op::load_offline, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate))
    co_return result<std::vector<offline_message>>(boost::system::in_place_error, ec);
  auto call = inner_.load_offline(std::move(owner));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::delete_offline(core::jid owner, std::int64_t up_to) {
  auto gate = enter(op::delete_offline, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<void>(boost::system::in_place_error, ec);
  auto call = inner_.delete_offline(std::move(owner), up_to);
  co_return co_await std::move(call);
}

task<std::optional<std::string>> fault_injecting_store::get_private(core::jid owner, std::string key) {
  auto gate = enter(op::get_private, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate))
    co_return result<std::optional<std::string>>(boost::system::in_place_error, ec);
  auto call = inner_.get_private(std::move(owner), std::move(key));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::put_private(core::jid owner, std::string key, std::string value) {
  auto gate = enter(op::put_private, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<void>(boost::system::in_place_error, ec);
  auto call = inner_.put_private(std::move(owner), std::move(key), std::move(value));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::append_archive(core::jid owner, archived_message m) {
  auto gate = enter(op::append_archive, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<void>(boost::system::in_place_error, ec);
  auto call = inner_.append_archive(std::move(owner), std::move(m));
  co_return co_await std::move(call);
}

task<archive_page> fault_injecting_store::query_archive(core::jid owner, archive_query q) {
  auto gate = enter(op::query_archive, owner);  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<archive_page>(boost::system::in_place_error, ec);
  auto call = inner_.query_archive(std::move(owner), std::move(q));
  co_return co_await std::move(call);
}

task<std::uint64_t> fault_injecting_store::expire_archive(std::int64_t before) {
  auto gate = enter(op::expire_archive, core::jid());  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<std::uint64_t>(boost::system::in_place_error, ec);
  auto call = inner_.expire_archive(before);
  co_return co_await std::move(call);
}

// XCAP documents pass straight through: no test injects faults into them yet.
task<std::optional<xcap_document>> fault_injecting_store::get_xcap_document(core::jid owner, std::string auid,
                                                                            std::string name) {
  auto call = inner_.get_xcap_document(std::move(owner), std::move(auid), std::move(name));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::put_xcap_document(core::jid owner, xcap_document doc) {
  auto call = inner_.put_xcap_document(std::move(owner), std::move(doc));
  co_return co_await std::move(call);
}

task<bool> fault_injecting_store::delete_xcap_document(core::jid owner, std::string auid, std::string name) {
  auto call = inner_.delete_xcap_document(std::move(owner), std::move(auid), std::move(name));
  co_return co_await std::move(call);
}

task<std::vector<xcap_document>> fault_injecting_store::list_xcap_documents(core::jid owner) {
  auto call = inner_.list_xcap_documents(std::move(owner));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::ping() {
  auto gate = enter(op::ping, core::jid());  // named: GCC 12
  if (auto ec = co_await std::move(gate)) co_return result<void>(boost::system::in_place_error, ec);
  auto call = inner_.ping();
  co_return co_await std::move(call);
}

// MUC rooms pass through: the faults under test are those of the IM layer.
task<void> fault_injecting_store::save_muc_room(muc_room room) {
  auto call = inner_.save_muc_room(std::move(room));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::add_muc_history(core::jid room, muc_message m, std::size_t keep) {
  auto call = inner_.add_muc_history(std::move(room), std::move(m), keep);
  co_return co_await std::move(call);
}

task<bool> fault_injecting_store::remove_muc_room(core::jid room) {
  auto call = inner_.remove_muc_room(std::move(room));
  co_return co_await std::move(call);
}

task<std::vector<muc_room>> fault_injecting_store::load_muc_rooms(std::string domain) {
  auto call = inner_.load_muc_rooms(std::move(domain));
  co_return co_await std::move(call);
}

task<void> fault_injecting_store::append_muc_archive(core::jid room, std::vector<archived_message> batch) {
  auto call = inner_.append_muc_archive(std::move(room), std::move(batch));
  co_return co_await std::move(call);
}

task<archive_page> fault_injecting_store::query_muc_archive(core::jid room, archive_query q) {
  auto call = inner_.query_muc_archive(std::move(room), std::move(q));
  co_return co_await std::move(call);
}

task<std::string> fault_injecting_store::muc_service_secret(std::string domain, std::string candidate) {
  auto call = inner_.muc_service_secret(std::move(domain), std::move(candidate));
  co_return co_await std::move(call);
}

}  // namespace ofs::storage
