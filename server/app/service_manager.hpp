#pragma once
// Tells systemd (Type=notify units) where the server stands: ready once every listener is
// open, stopping when shutdown starts. Does nothing when not started by systemd.
#include <string_view>

namespace ofs::app {

void notify_ready(std::string_view status);
void notify_reloading();  // READY=1 again once done
void notify_stopping();

}  // namespace ofs::app
