#include "server/muc/service.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "server/auth/base64.hpp"
#include "server/im/service.hpp"

namespace ofs::muc {
namespace asio = boost::asio;

// The router's view of the service: one endpoint for the whole domain.
class service::component final : public core::endpoint {
public:
  component(service& svc, core::jid address) : svc_(svc), address_(std::move(address)) {}
  const core::jid& address() const override { return address_; }
  std::string remote_address() const override { return {}; }
  std::string_view transport() const override { return "muc"; }
  void deliver(core::stanza s) override { svc_.deliver(std::move(s)); }
  void deliver(core::stanza s, std::function<void(bool)> received) override {
    svc_.deliver(std::move(s));
    if (received) received(true);
  }
  void terminate(std::string_view, std::string_view) override {}

private:
  service& svc_;
  core::jid address_;
};

service::service(core::router& router, im::service& im, storage::store& store, asio::any_io_executor ex,
                 service_config config)
    : router_(router), im_(im), store_(store), executor_(ex), config_(std::move(config)) {
  domain_ = config_.domain.empty() ? "conference." + router_.local_domains().front() : config_.domain;
  for (const auto& a : config_.admins)
    if (auto j = core::jid::parse(a)) admins_.insert(j->bare());
  const std::size_t n = std::max<std::size_t>(config_.shards, 1);
  for (std::size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<shard>(ex));
  im_.on_unbind([this](core::endpoint& e) { session_ended(e.address()); });
  im_.add_item(domain_, "Chatrooms");  // the server's disco#items leads clients here
}

void service::open(const core::jid& address) {
  component_ = std::make_shared<component>(*this, address);
  router_.add_component(domain_, component_);
}

service::~service() {
  if (component_) router_.remove_component(domain_);
}

service::shard& service::shard_of(const core::jid& room) {
  return *shards_[std::hash<std::string>{}(room.bare_str()) % shards_.size()];
}

void service::deliver(core::stanza s) {
  if (s.to().node().empty()) return to_service(s);
  shard& sh = shard_of(s.to());
  asio::post(sh.strand, [this, &sh, s = std::move(s)]() mutable { on_shard(sh, std::move(s)); });
}

void service::on_shard(shard& sh, core::stanza s) {
  const std::string key = s.to().bare_str();
  auto it = sh.rooms.find(key);
  if (it == sh.rooms.end()) {
    const bool join =
        s.kind() == core::stanza_kind::presence && s.type().empty() && !s.to().resource().empty();
    if (!join) {
      if (s.type() != "error" && s.type() != "unavailable" && s.type() != "result")
        router_.bounce(s, core::stanza_error(core::condition::item_not_found, std::nullopt, "No such room"));
      return;
    }
    if (!may_create(s.from()))
      return router_.bounce(s, core::stanza_error(core::condition::not_allowed, std::nullopt,
                                                  "You may not create rooms on this service"));
    auto r = add_room(sh, s.to().bare(), default_config());
    r->create_by(s);
    spdlog::info("muc: {} created by {}", key, s.from().bare_str());
    it = sh.rooms.find(key);
  }
  std::shared_ptr<room> r = it->second;  // alive even if the room forgets itself meanwhile
  r->handle(std::move(s));
  if (!r->destroyed() && r->empty() && !r->config().persistent) forget(*r);  // a creation that failed
  if (!r->destroyed()) update_directory(*r);
}

std::shared_ptr<room> service::add_room(shard& sh, const core::jid& jid, room_config c) {
  auto r = std::make_shared<room>(*this, jid, std::move(c));
  sh.rooms[jid.str()] = r;
  update_directory(*r);
  return r;
}

room_config service::default_config() const {
  room_config c;
  c.max_occupants = std::min(config_.default_occupants, config_.max_occupants);
  c.history_length = config_.history_length;
  return c;
}

bool service::may_create(const core::jid& real) const {
  if (is_service_admin(real)) return true;
  if (config_.create_rooms == "anyone") return true;
  if (config_.create_rooms == "local") return router_.is_local_domain(real.domain());
  return false;
}

bool service::is_service_admin(const core::jid& real) const { return admins_.count(real.bare()) > 0; }

std::string service::occupant_id(const core::jid& room, const core::jid& real) const {
  const std::string data = room.bare_str() + '\0' + real.bare_str();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), id_secret_.data(), static_cast<int>(id_secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return auth::base64_encode(std::string_view(reinterpret_cast<const char*>(md), 18));
}

void service::update_directory(const room& r) {
  room_summary s{r.jid(),
                 r.config().name,
                 r.config().public_room,
                 r.config().persistent,
                 r.config().members_only,
                 r.config().password_protected,
                 r.occupant_count()};
  std::lock_guard lock(directory_mutex_);
  directory_[r.jid().str()] = std::move(s);
}

std::vector<room_summary> service::list_rooms() const {
  std::lock_guard lock(directory_mutex_);
  std::vector<room_summary> out;
  for (const auto& [k, s] : directory_) out.push_back(s);
  return out;
}

void service::forget(room& r) {
  shard& sh = shard_of(r.jid());
  auto it = sh.rooms.find(r.jid().str());
  if (it == sh.rooms.end() || it->second.get() != &r) return;
  if (r.config().persistent) unpersist(r);
  sh.rooms.erase(it);  // the caller holds a shared_ptr while the room is running
  std::lock_guard lock(directory_mutex_);
  directory_.erase(r.jid().str());
}

void service::occupant_joined(const core::jid& real, const core::jid& room) {
  std::lock_guard lock(index_mutex_);
  rooms_of_[real.str()].insert(room.str());
}

void service::occupant_left(const core::jid& real, const core::jid& room) {
  std::lock_guard lock(index_mutex_);
  auto it = rooms_of_.find(real.str());
  if (it == rooms_of_.end()) return;
  it->second.erase(room.str());
  if (it->second.empty()) rooms_of_.erase(it);
}

// A session that ends leaves every room it is in, with an unavailable presence (XEP-0045 7.14).
void service::session_ended(const core::jid& real) {
  std::set<std::string> rooms;
  {
    std::lock_guard lock(index_mutex_);
    auto it = rooms_of_.find(real.str());
    if (it == rooms_of_.end()) return;
    rooms = it->second;
  }
  for (const auto& room_text : rooms) {
    auto room_jid = core::jid::parse(room_text);
    if (!room_jid) continue;
    shard& sh = shard_of(*room_jid);
    asio::post(sh.strand, [this, &sh, key = room_text, real] {
      auto it = sh.rooms.find(key);
      if (it == sh.rooms.end()) return;
      std::shared_ptr<room> r = it->second;
      r->occupant_gone(real);
      if (!r->destroyed()) update_directory(*r);
    });
  }
}

}  // namespace ofs::muc
