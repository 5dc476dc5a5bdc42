#pragma once
// OpenSSL's heap, counted per thread in a test binary: the counting allocator is installed
// before OpenSSL allocates anything, so a test can see what one connection keeps on the
// thread that serves it.
namespace ofs::xmpp::test::crypto_memory {

// false if OpenSSL had allocated before the counter could be installed.
bool installed();
// A small number naming the calling thread, for live_bytes().
int this_thread_index();
// Bytes OpenSSL allocated on that thread and has not freed yet (wherever it frees them).
long long live_bytes(int thread_index);

}  // namespace ofs::xmpp::test::crypto_memory
