#include "tests/unit/xmpp/crypto_memory.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>

namespace ofs::xmpp::test::crypto_memory {
namespace {

constexpr int max_threads = 32;  // later threads share the last counter
std::array<std::atomic<long long>, max_threads> live{};
std::atomic<int> next_index{0};

// Each block starts with its size and the index of the thread that allocated it.
struct alignas(16) header {
  std::size_t size;
  int thread;
};

header* header_of(void* p) { return reinterpret_cast<header*>(static_cast<char*>(p) - sizeof(header)); }

void* counted_malloc(std::size_t n, const char*, int) {
  auto* h = static_cast<header*>(std::malloc(sizeof(header) + n));
  if (!h) return nullptr;
  *h = {n, this_thread_index()};
  live[h->thread] += static_cast<long long>(n);
  return h + 1;
}

void counted_free(void* p, const char*, int) {
  if (!p) return;
  header* h = header_of(p);
  live[h->thread] -= static_cast<long long>(h->size);
  std::free(h);
}

void* counted_realloc(void* p, std::size_t n, const char* file, int line) {
  if (!p) return counted_malloc(n, file, line);
  if (n == 0) {
    counted_free(p, file, line);
    return nullptr;
  }
  const header old = *header_of(p);
  auto* h = static_cast<header*>(std::realloc(header_of(p), sizeof(header) + n));
  if (!h) return nullptr;
  live[old.thread] -= static_cast<long long>(old.size);
  *h = {n, this_thread_index()};
  live[h->thread] += static_cast<long long>(n);
  return h + 1;
}

// Before every other static initializer of the binary, and so before OpenSSL's first use.
struct installer {
  bool ok = CRYPTO_set_mem_functions(&counted_malloc, &counted_realloc, &counted_free) == 1;
};
installer counting __attribute__((init_priority(101)));

}  // namespace

bool installed() { return counting.ok; }

int this_thread_index() {
  thread_local const int index = std::min(next_index++, max_threads - 1);
  return index;
}

long long live_bytes(int thread_index) { return live[thread_index].load(); }

}  // namespace ofs::xmpp::test::crypto_memory
