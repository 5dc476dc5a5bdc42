// service: the rooms' archives (XEP-0313). Writes join the room's ordered store queue, where
// consecutive ones go in one batch; a query waits in the same queue, so that it sees every
// message the room archived before it, and is answered from the room's JID.
#include <spdlog/spdlog.h>

#include "server/im/archive.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"
#include "server/muc/service.hpp"

namespace ofs::muc {
namespace asio = boost::asio;

bool service::archive_enabled() const { return im_.config().archive.enabled; }

void service::archive(room& r, storage::archived_message m) {
  write_op op{write_op::kind::archive, {}, {}, 0, std::move(m), {}, {}, false};
  op.record.room = r.jid();
  queue_write(r, std::move(op));
}

void service::query_archive(room& r, core::stanza request, bool real_jids) {
  auto parsed = im::parse_mam_query(*im::payload(request), im_.config().archive.max_page);
  if (auto* e = std::get_if<core::stanza_error>(&parsed)) return router_.bounce(request, *e);
  write_op op{write_op::kind::query,
              {},
              {},
              0,
              {},
              std::move(request),
              std::move(std::get<im::mam_request>(parsed)),
              real_jids};
  op.record.room = r.jid();
  queue_write(r, std::move(op));
}

asio::awaitable<error_code> service::write_archive(core::jid room, std::deque<write_op>* queue) {
  std::vector<storage::archived_message> batch;
  for (std::size_t i = 0; i < queue->size() && (*queue)[i].what == write_op::kind::archive; ++i)
    batch.push_back((*queue)[i].archived);
  const std::size_t n = batch.size();
  auto call = store_.append_muc_archive(room, std::move(batch));
  auto done = co_await std::move(call);
  if (done) co_return error_code();
  spdlog::error("muc: room {}: {} message(s) delivered but NOT archived", room.str(), n);
  co_return done.error();
}

asio::awaitable<void> service::answer_query(core::jid room, write_op op) {
  core::stanza& s = op.request;
  auto call = store_.query_muc_archive(room, std::move(op.mam.query));
  auto page = co_await std::move(call);
  if (!page) co_return im::bounce_store_error(router_, s);
  if (page->missing_ref)
    co_return router_.bounce(s, core::stanza_error(core::condition::item_not_found, core::error_type::cancel,
                                                   "A message id in the query is not in the archive"));
  for (auto& m : im::mam_results(room, s.from(), op.mam.queryid, *page)) {
    if (!op.real_jids)  // the sender's real JID, for those who may see it only
      if (auto* r = m.mutable_xml().child("result", im::mam_ns))
        if (auto* f = r->child("forwarded", im::forward_ns))
          if (auto* inner = f->child("message")) inner->remove_children("x", muc_user_ns);
    router_.route(std::move(m));
  }
  router_.route(im::make_result(s, im::mam_fin(*page)));
}

}  // namespace ofs::muc
