#include "server/ctl/run_as_owner.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ofs::ctl {

std::string run_as_owner_of(const std::filesystem::path& data_dir) {
  struct stat st {};
  if (geteuid() != 0 || ::stat(data_dir.c_str(), &st) != 0 || st.st_uid == 0) return {};
  // Groups first: after setuid there is no right to change them.
  if (setgroups(0, nullptr) != 0 || setgid(st.st_gid) != 0 || setuid(st.st_uid) != 0)
    return "cannot become the owner of " + data_dir.string() + ": " + std::strerror(errno);
  return {};
}

}  // namespace ofs::ctl
