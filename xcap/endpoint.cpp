#include "xcap/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/im/service.hpp"
#include "xcap/document_service.hpp"

namespace ofs::xcap {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

using reply_channel = asio::experimental::concurrent_channel<void(boost::system::error_code, reply)>;

reply plain(unsigned status, std::string body) {
  reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::optional<method> method_of(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get: return method::get;
    case bhttp::verb::head: return method::head;
    case bhttp::verb::put: return method::put;
    case bhttp::verb::delete_: return method::del;
    default: return std::nullopt;
  }
}

// The shard task: the request's reply into the channel, whatever happens.
asio::awaitable<void> run_on_shard(im::service& svc, doc_request r, std::shared_ptr<reply_channel> out) {
  reply rep;
  try {
    auto work = serve_document(svc, std::move(r));  // named: GCC 12
    rep = co_await std::move(work);
  } catch (const std::exception& e) {
    spdlog::error("xcap: request failed: {}", e.what());
    rep = plain(500, "internal error");
  }
  out->try_send(boost::system::error_code(), std::move(rep));
}

}  // namespace

endpoint::endpoint(im::service& im, options opts)
    : im_(im), options_(std::move(opts)), auth_(im.store(), im.kdf(), options_.domains) {}

std::string endpoint::start_error() const { return schema_set::instance().load_error(); }

http::response endpoint::respond(const http::request& req, const reply& r) const {
  auto res = http::make_response(req, static_cast<bhttp::status>(r.status), r.body, r.content_type);
  if (!r.etag.empty()) res.set(bhttp::field::etag, "\"" + r.etag + "\"");
  if (r.status == 405) res.set(bhttp::field::allow, "GET, HEAD, PUT, DELETE");
  // HEAD keeps the body: the connection sends only the header, with GET's Content-Length.
  if (r.status == 304) res.body().clear();
  return res;
}

http::response endpoint::unauthorized(const http::request& req, bool basic_allowed, std::string why) const {
  auto res = http::make_response(req, bhttp::status::unauthorized, "authentication failed: " + why);
  for (const auto& c : auth_.challenges(basic_allowed, why == "stale nonce"))
    res.insert(bhttp::field::www_authenticate, c);
  res.prepare_payload();
  return res;
}

std::string endpoint::caps_document() const {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<xcap-caps xmlns=\"urn:ietf:params:xml:ns:xcap-caps\">\n  <auids>\n";
  for (const auto& u : all_usages()) out += "    <auid>" + std::string(u.auid) + "</auid>\n";
  out += "  </auids>\n  <extensions/>\n  <namespaces>\n";
  for (const auto& u : all_usages()) out += "    <namespace>" + std::string(u.default_ns) + "</namespace>\n";
  out += "    <namespace>urn:ietf:params:xml:ns:pres-rules</namespace>\n";
  out += "    <namespace>urn:ietf:params:xml:ns:xcap-error</namespace>\n  </namespaces>\n</xcap-caps>\n";
  return out;
}

asio::awaitable<http::response> endpoint::handle(http::request req, http::request_context ctx) {
  auto parsed = parse_xcap_uri(req.target(), options_.root);
  if (auto* e = std::get_if<uri_error>(&parsed))
    co_return respond(req, plain(e->not_found ? 404 : 400, e->why));
  auto& uri = std::get<xcap_uri>(parsed);
  auto verb = method_of(req.method());
  if (!verb) co_return respond(req, plain(405, "XCAP answers GET, HEAD, PUT and DELETE"));
  const app_usage* usage = find_usage(uri.auid);
  if (!usage) co_return respond(req, plain(404, "unknown application usage '" + uri.auid + "'"));

  const bool basic_allowed = ctx.tls || ctx.loopback || options_.allow_plain_http_logins;
  auth_request ar{std::string_view(req.method_string()), std::string_view(req.target()),
                  std::string_view(req[bhttp::field::authorization]), basic_allowed};
  auto checking = auth_.check(ar);  // named: GCC 12
  auto who = co_await std::move(checking);
  if (who.temporary) co_return respond(req, plain(503, "authentication unavailable; try again later"));
  if (!who.account) co_return unauthorized(req, basic_allowed, who.why);

  const bool writing = *verb == method::put || *verb == method::del;
  if (uri.global) {
    if (writing) co_return respond(req, plain(403, "the global tree is read-only"));
    if (!usage->global_only || uri.document != "index")
      co_return respond(req, plain(404, "no such global document"));
    reply caps{200, caps_document(), std::string(usage->mime), {}};
    co_return respond(req, caps);
  }
  if (usage->global_only) co_return respond(req, plain(404, uri.auid + " has only a global document"));
  std::string_view xui = uri.xui;
  if (xui.starts_with("xmpp:")) xui.remove_prefix(5);
  auto owner = core::jid::parse(xui);
  if (!owner || !owner->is_bare() || *owner != *who.account)
    co_return respond(req, plain(403, "a user reads and writes only users/" + who.account->str() + "/"));
  if (req.body().size() > options_.max_document_bytes)
    co_return respond(
        req, plain(413, "the body is larger than " + std::to_string(options_.max_document_bytes) + " bytes"));

  doc_request r;
  r.verb = *verb;
  r.usage = usage;
  r.owner = *owner;
  r.roster_backed = usage->auid == "resource-lists" &&
                    std::find(options_.roster_documents.begin(), options_.roster_documents.end(),
                              uri.document) != options_.roster_documents.end();
  r.uri = std::move(uri);
  r.body = std::move(req.body());
  r.content_type = std::string(req[bhttp::field::content_type]);
  if (auto h = req.find(bhttp::field::if_match); h != req.end()) r.if_match = std::string(h->value());
  if (auto h = req.find(bhttp::field::if_none_match); h != req.end())
    r.if_none_match = std::string(h->value());

  auto ex = co_await asio::this_coro::executor;
  auto channel = std::make_shared<reply_channel>(ex, 1);
  auto task = [&svc = im_, r = std::move(r), channel]() mutable {
    return run_on_shard(svc, std::move(r), channel);
  };
  if (!im_.shards().post(*owner, std::move(task)))
    co_return respond(req, plain(503, "too many requests for this account; try again later"));
  auto [ec, rep] = co_await channel->async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return respond(req, plain(503, "the request was cancelled"));
  co_return respond(req, rep);
}

}  // namespace ofs::xcap
