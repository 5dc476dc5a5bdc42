#pragma once
// One XCAP request on a user's document, run on the user's IM shard so that requests on
// the same user's documents, and the XMPP roster changes of that user, happen one at a time:
// a conditional PUT (If-Match) checks and writes with nothing in between. Stored documents
// come from the store; the roster-backed list from the roster (roster_document.hpp).
#include <libxml/tree.h>

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/core/jid.hpp"
#include "server/storage/store.hpp"
#include "xcap/app_usage.hpp"
#include "xcap/uri.hpp"

namespace ofs::im {
class service;
}

namespace ofs::xcap {

enum class method { get, head, put, del };

struct doc_request {
  method verb = method::get;
  xcap_uri uri;
  const app_usage* usage = nullptr;
  core::jid owner;
  bool roster_backed = false;  // the default buddy list
  std::string body, content_type;
  std::optional<std::string> if_match, if_none_match;
};

struct reply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
  std::string etag;  // without quotes; empty: no ETag header
};

boost::asio::awaitable<reply> serve_document(im::service& svc, doc_request r);

// Whether an If-Match / If-None-Match value matches the entity tag (RFC 9110 13.1.1):
// "*" matches any existing document, else one of the quoted tags.
bool etag_matches(std::string_view header, std::string_view etag, bool exists);

// The note of the user's pidf-manipulation document (RFC 4827, "index"), in the document's
// first language: the text watchers see while the user is offline. nullopt: none set.
boost::asio::awaitable<std::optional<std::string>> offline_note(storage::store& store, core::jid user);
// The same, of a parsed pidf document.
std::optional<std::string> note_of(xmlDoc* doc);

}  // namespace ofs::xcap
