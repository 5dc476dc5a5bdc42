#include "tests/unit/xmpp/tls_fixture.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include "server/auth/base64.hpp"
#include "server/auth/scram.hpp"
#include "tests/support/wait_until.hpp"
#include "tests/unit/xmpp/crypto_memory.hpp"

namespace ofs::xmpp::test {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
const std::string header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";
}

tls_fixture::tls_fixture() : identity(app::generate_self_signed({"example.com"})) {
  contexts_ = std::make_shared<app::tls_contexts>(identity, std::vector<app::domain_identity>{});
  svc.install();
  for (auto* a : {&direct_, &starttls_}) {
    a->open(tcp::v4());
    a->bind({asio::ip::address_v4::loopback(), 0});
    a->listen();
    accept(*a, a == &direct_);
  }
  thread_ = std::thread([this] { io.run(); });
  std::promise<int> index;
  asio::post(io, [&] { index.set_value(crypto_memory::this_thread_index()); });
  io_thread_index = index.get_future().get();

  auto creds = std::vector{auth::make_credentials(auth::scram_hash::sha256, "pw", 4096)};
  auto made = asio::co_spawn(
      io, store.create_account(core::jid::parse("alice@example.com").value(), std::move(creds)),
      asio::use_future);
  EXPECT_TRUE(made.get());
}

tls_fixture::~tls_fixture() {
  tracker.close_all(core::connection_tracker::close_mode::now);
  EXPECT_TRUE(tracker.wait_empty(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  asio::post(io, [this] {
    boost::system::error_code ignored;
    direct_.close(ignored);
    starttls_.close(ignored);
  });
  {
    std::lock_guard lock(mutex_);
    last_.reset();
  }
  work_.reset();
  io.stop();
  thread_.join();
}

void tls_fixture::accept(tcp::acceptor& on, bool direct) {
  on.async_accept(asio::make_strand(io), [this, &on, direct](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;
    auto opts = std::make_shared<tcp_transport_options>();
    opts->c2s.domains = {"example.com"};
    opts->direct_tls = direct;
    std::shared_ptr<tcp_transport> t;
    {
      std::lock_guard lock(mutex_);
      opts->tls = {contexts_, &contexts_->default_context()};
      opts->max_outbox_bytes = max_outbox_;
      last_fd_ = s.native_handle();
      last_ = t = std::make_shared<tcp_transport>(std::move(s), svc, opts);
    }
    t->start(tracker.track([weak = std::weak_ptr<tcp_transport>(t)](core::connection_tracker::close_mode) {
      if (auto t = weak.lock()) t->abort();
    }));
    accept(on, direct);
  });
}

std::unique_ptr<tls_client> tls_fixture::connect(bool direct, SSL_SESSION* resume, int receive_buffer) {
  const auto port = (direct ? direct_ : starttls_).local_endpoint().port();
  const std::size_t before = tracker.size();
  auto c = std::make_unique<tls_client>(port, client_ctx.get(), resume, receive_buffer);
  EXPECT_TRUE(wait_until([&] { return tracker.size() > before; })) << "not accepted";
  return c;
}

bool tls_fixture::open_stream(tls_client& c) {
  c.received().clear();
  return c.send(header) && c.read_until("</stream:features>");
}

bool tls_fixture::log_in(tls_client& c, const std::string& resource) {
  if (!open_stream(c)) return false;
  c.received().clear();
  const std::string plain("\0alice\0pw", 9);
  if (!c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
              auth::base64_encode(plain) + "</auth>") ||
      !c.read_until("<success"))
    return false;
  if (!open_stream(c)) return false;
  c.received().clear();
  const std::string bind = "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
                           resource + "</resource></bind></iq>";
  return c.send(bind) && c.read_until("</iq>");
}

bool tls_fixture::wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  return ofs::test::wait_until(done, limit);
}

bool tls_fixture::on_last_strand(std::function<void(tcp_transport&)> fn) {
  std::shared_ptr<tcp_transport> t;
  {
    std::lock_guard lock(mutex_);
    t = last_;
  }
  if (!t) return false;
  std::promise<void> ran;
  asio::post(t->executor(), [&] {
    fn(*t);
    ran.set_value();
  });
  return ran.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready;
}

bool tls_fixture::server_took_all(const tls_client& c) {
  int fd;
  {
    std::lock_guard lock(mutex_);
    fd = last_fd_;
  }
  return wait_until([&] {
    int unacknowledged = 0, unread = 0;
    ::ioctl(c.fd(), SIOCOUTQ, &unacknowledged);
    ::ioctl(fd, FIONREAD, &unread);
    return unacknowledged == 0 && unread == 0;
  });
}

void tls_fixture::use_contexts(std::shared_ptr<app::tls_contexts> next) {
  std::lock_guard lock(mutex_);
  contexts_ = std::move(next);
}

void tls_fixture::set_max_outbox(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  max_outbox_ = bytes;
}

}  // namespace ofs::xmpp::test
