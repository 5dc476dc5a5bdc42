#include "server/auth/anonymous_server.hpp"

#include <openssl/rand.h>

#include <stdexcept>

namespace ofs::auth {
namespace {

constexpr std::size_t max_trace_chars = 255;  // RFC 4505 section 3

// Code points in UTF-8 that is already valid (the parser checked the stream's encoding).
std::size_t utf8_chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string random_visitor_name() {
  constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("OpenSSL failure: RAND_bytes");
  std::string name = "visitor-";
  for (unsigned char b : raw)
    name.push_back(alphabet[b % alphabet.size()]);  // a slight bias: a name, no secret
  return name;
}

sasl_step anonymous_server::start(std::optional<std::string_view> initial_response) {
  if (started_) {
    done_ = true;
    return sasl_step::make_failure(sasl_failure::malformed_request, "exchange already started");
  }
  started_ = true;
  if (!initial_response) return sasl_step::make_challenge({});
  return accept(*initial_response);
}

sasl_step anonymous_server::step(std::string_view response) {
  if (!started_ || done_ || !user_.empty()) {
    done_ = true;
    return sasl_step::make_failure(sasl_failure::malformed_request, "unexpected response");
  }
  return accept(response);
}

sasl_step anonymous_server::set_credentials(std::optional<std::vector<scram_credentials>>) {
  done_ = true;
  return sasl_step::make_failure(sasl_failure::malformed_request, "unexpected credentials");
}

sasl_step anonymous_server::accept(std::string_view trace) {
  done_ = true;
  if (utf8_chars(trace) > max_trace_chars || trace.find('\0') != std::string_view::npos)
    return sasl_step::make_failure(sasl_failure::malformed_request,
                                   "the trace is longer than 255 characters");
  trace_ = trace;
  user_ = random_visitor_name();
  return sasl_step::make_success();
}

}  // namespace ofs::auth
