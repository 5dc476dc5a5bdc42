#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace ofs::test {
namespace {

using clock = std::chrono::steady_clock;

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& dir, int& in_fd, int& out_fd,
            int& err_fd) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in_fd = in[1];
  out_fd = out[0];
  err_fd = err[0];
  fcntl(out_fd, F_SETFL, O_NONBLOCK);
  fcntl(err_fd, F_SETFL, O_NONBLOCK);
  return pid;
}

// Reads what is available from fd into s; false at end of file.
bool drain(int fd, std::string& s) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      s.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    return n < 0 && errno == EAGAIN;
  }
}

// Waits for the child to exit, reading its output meanwhile; -1 on signal or timeout.
int wait_exit(pid_t pid, int out_fd, int err_fd, std::string& out, std::string& err,
              clock::time_point deadline) {
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      drain(out_fd, out);
      drain(err_fd, err);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    poll(fds, 2, 20);
    drain(out_fd, out);
    drain(err_fd, err);
  }
}

}  // namespace

run_result run(const std::vector<std::string>& argv, std::chrono::seconds timeout,
               const std::string& stdin_text) {
  int in_fd, out_fd, err_fd;
  pid_t pid = spawn(argv, {}, in_fd, out_fd, err_fd);
  if (!stdin_text.empty() && write(in_fd, stdin_text.data(), stdin_text.size()) < 0) {
  }
  close(in_fd);
  run_result r;
  r.exit_code = wait_exit(pid, out_fd, err_fd, r.out, r.err, clock::now() + timeout);
  close(out_fd);
  close(err_fd);
  return r;
}

temp_dir::temp_dir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("ofs-test-" + std::to_string(rd()) + std::to_string(getpid()));
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path temp_dir::write(const std::string& name, const std::string& text) const {
  auto p = path_ / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

ofsd_process::ofsd_process(const std::filesystem::path& config_file, const std::filesystem::path& dir,
                           std::chrono::seconds ready_timeout) {
  int in_fd;
  auto started = clock::now();
  pid_ = spawn({ofsd_path(), "--config", config_file.string()}, dir, in_fd, out_fd_, err_fd_);
  close(in_fd);
  auto deadline = started + ready_timeout;
  while (clock::now() < deadline) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    poll(fds, 2, 20);
    bool open = drain(out_fd_, out_);
    drain(err_fd_, err_);
    auto pos = out_.find("\nready");
    if (out_.starts_with("ready")) pos = 0;
    if (pos != std::string::npos) {
      auto end = out_.find('\n', pos + 1);
      if (end == std::string::npos) continue;
      std::istringstream line(out_.substr(pos, end - pos));
      std::string word;
      line >> word;  // "ready"
      while (line >> word)
        if (auto eq = word.find('='); eq != std::string::npos)
          ports_[word.substr(0, eq)] = static_cast<std::uint16_t>(std::stoi(word.substr(eq + 1)));
      ready_ = true;
      startup_ = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
      return;
    }
    if (!open) break;  // exited before becoming ready
  }
}

ofsd_process::~ofsd_process() {
  if (pid_ > 0) stop();
}

std::uint16_t ofsd_process::port(const std::string& name) const {
  auto it = ports_.find(name);
  return it == ports_.end() ? 0 : it->second;
}

std::string ofsd_process::errors() {
  drain(err_fd_, err_);
  return err_;
}

int ofsd_process::stop(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  auto started = clock::now();
  kill(pid_, SIGTERM);
  int code = wait_exit(pid_, out_fd_, err_fd_, out_, err_, started + timeout);
  stop_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started);
  close(out_fd_);
  close(err_fd_);
  pid_ = -1;
  return code;
}

std::string ofsd_path() { return OFS_OFSD_PATH; }
std::string ofsctl_path() { return OFS_OFSCTL_PATH; }

std::string loopback_config(const std::filesystem::path& dir, const std::string& extra) {
  return "[server]\ndata_dir = \"" + (dir / "var").string() +
         "\"\nthreads = 2\n"
         "[listen]\naddress = \"127.0.0.1\"\nhttp = 0\nc2s = 0\nc2s_tls = 0\nhttps = 0\n" +
         extra;
}

http_reply http_get(std::uint16_t port, const std::string& target) {
  namespace bhttp = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
  req.set(bhttp::field::host, "localhost");
  bhttp::write(socket, req);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace ofs::test
