#include "server/xmpp/http_login_policy.hpp"

#include <gtest/gtest.h>

namespace ofs::xmpp {
namespace {

TEST(http_login_policy, plain_http_logins_only_from_loopback_unless_allowed) {
  stream_driver_options base;
  base.c2s.require_tls = true;
  http_login_policy strict(base, false);
  EXPECT_FALSE(strict.options(true, false).c2s.require_tls);  // HTTPS
  EXPECT_FALSE(strict.options(false, true).c2s.require_tls);  // loopback
  EXPECT_TRUE(strict.options(false, false).c2s.require_tls);  // plain HTTP from elsewhere: no SASL
  http_login_policy open(base, true);
  EXPECT_FALSE(open.options(false, false).c2s.require_tls);
}

TEST(http_login_policy, the_other_settings_are_the_c2s_ones) {
  stream_driver_options base;
  base.login_timeout = std::chrono::seconds(7);
  base.c2s.domains = {"example.test"};
  http_login_policy p(base, false);
  EXPECT_EQ(p.options(false, false).login_timeout, std::chrono::seconds(7));
  EXPECT_EQ(p.options(true, false).c2s.domains, std::vector<std::string>{"example.test"});
}

}  // namespace
}  // namespace ofs::xmpp
