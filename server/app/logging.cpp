#include "server/app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace ofs::app {
namespace {

// %j: the message escaped as a JSON string body, so every JSON line parses.
class json_message_flag final : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"': dest.append(std::string_view("\\\"")); break;
        case '\\': dest.append(std::string_view("\\\\")); break;
        case '\n': dest.append(std::string_view("\\n")); break;
        case '\r': dest.append(std::string_view("\\r")); break;
        case '\t': dest.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter(const config& c) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (c.log_format == "json") {
    formatter->add_flag<json_message_flag>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","program":"%n","thread":%t,"msg":"%j"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v");
  }
  return formatter;
}

// The sink for [log] file (standard error when empty), or the error line.
spdlog::sink_ptr open_sink(const config& c, std::string& error) {
  try {
    if (c.log_file.empty()) return std::make_shared<spdlog::sinks::stderr_sink_mt>();
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(c.log_file);
  } catch (const spdlog::spdlog_ex& e) {
    error = "cannot open log file " + c.log_file + ": " + e.what();
    return nullptr;
  }
}

// The installed logger's distributing sink; set once by setup_logging().
std::shared_ptr<spdlog::sinks::dist_sink_mt> installed_sink;

}  // namespace

std::string setup_logging(const config& c, const std::string& program) {
  std::string error;
  auto sink = open_sink(c, error);
  if (!sink) return error;
  sink->set_formatter(make_formatter(c));
  installed_sink = std::make_shared<spdlog::sinks::dist_sink_mt>(std::vector<spdlog::sink_ptr>{sink});
  auto logger = std::make_shared<spdlog::logger>(program, installed_sink);
  logger->set_formatter(make_formatter(c));
  logger->set_level(spdlog::level::from_str(c.log_level));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return {};
}

std::string reconfigure_logging(const config& c) {
  if (!installed_sink) {  // a server embedded without setup_logging() (tests): the level only
    spdlog::set_level(spdlog::level::from_str(c.log_level));
    return {};
  }
  std::string error;
  auto sink = open_sink(c, error);
  if (!sink) return error;
  sink->set_formatter(make_formatter(c));
  spdlog::default_logger()->flush();
  installed_sink->set_sinks({std::move(sink)});  // under the sink's lock: no line is cut
  spdlog::default_logger()->set_level(spdlog::level::from_str(c.log_level));
  return {};
}

}  // namespace ofs::app
