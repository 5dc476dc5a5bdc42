#pragma once
// Runs the built ofsd / ofsctl binaries as a user would: a child process with its own
// temporary data directory and config, its output read back with deadlines.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ofs::test {

struct run_result {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string out, err;
};

// Runs a command to completion (at most `timeout`), capturing both outputs.
run_result run(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(30),
               const std::string& stdin_text = {});

// A temporary directory removed when the object goes away.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const;

private:
  std::filesystem::path path_;
};

// ofsd running in the background until stop() or destruction.
class ofsd_process {
public:
  // Starts `ofsd --config <file>` in `dir`, and waits for its "ready" line.
  ofsd_process(const std::filesystem::path& config_file, const std::filesystem::path& dir,
               std::chrono::seconds ready_timeout = std::chrono::seconds(20));
  ~ofsd_process();
  bool ready() const { return ready_; }
  std::uint16_t port(const std::string& name) const;  // from the ready line: "ready http=1234"
  std::chrono::milliseconds startup_time() const { return startup_; }
  // Sends SIGTERM and waits; returns the exit code (-1 on a signal or timeout).
  int stop(std::chrono::seconds timeout = std::chrono::seconds(10));
  std::chrono::milliseconds stop_time() const { return stop_time_; }
  const std::string& output() const { return out_; }
  std::string errors();  // what it wrote to stderr so far

private:
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool ready_ = false;
  std::string out_, err_;
  std::map<std::string, std::uint16_t> ports_;
  std::chrono::milliseconds startup_{0}, stop_time_{0};
};

// Paths of the built binaries (set by CMake).
std::string ofsd_path();
std::string ofsctl_path();

// A config that listens on loopback, on free ports, with data in `dir`.
std::string loopback_config(const std::filesystem::path& dir, const std::string& extra = {});

// A blocking HTTP/1.1 GET on 127.0.0.1; returns status and body.
struct http_reply {
  int status = 0;
  std::string body;
};
http_reply http_get(std::uint16_t port, const std::string& target);

}  // namespace ofs::test
