#include "server/app/service_manager.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace ofs::app {

void notify_ready(std::string_view status) {
  const std::string message = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, message.c_str());
}

void notify_reloading() { sd_notify(0, "RELOADING=1\nSTATUS=reloading"); }

void notify_stopping() { sd_notify(0, "STOPPING=1\nSTATUS=shutting down"); }

}  // namespace ofs::app
