#pragma once
// The one HTTP route table: every HTTP feature (metrics, BOSH, XCAP, status images, the web
// widget) mounts a handler at a path prefix. Filled at start-up, read-only afterwards.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ofs::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;
using handler = std::function<boost::asio::awaitable<response>(request)>;

class route_table {
public:
  // Serves `prefix` itself and everything below it ("/xcap-root" takes "/xcap-root/x").
  void add(std::string prefix, handler h);
  // The handler of the longest matching prefix, or nullptr.
  const handler* find(std::string_view target) const;

private:
  struct route {
    std::string prefix;
    handler fn;
  };
  std::vector<route> routes_;
};

// A plain-text response; every error the HTTP stack sends has a body saying why.
response make_response(const request& req, boost::beast::http::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace ofs::http
