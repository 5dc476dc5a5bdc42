#pragma once
// ofsctl cert import DIR...: takes the certificates of the served domains from directories
// laid out like Let's Encrypt's (DIR/<domain>/fullchain.pem and privkey.pem, DIR being
// live/ or its parent), or as DIR/<domain>.crt and .key, checks each pair, and installs it in
// <data_dir>/certs/<domain>/ for ofsd (picked by SNI at its next start). Sources are read
// as the caller (root can read /etc/letsencrypt); the copies are written as the data
// directory's owner, the key readable by that owner only.
#include <filesystem>
#include <vector>

#include "server/app/config.hpp"

namespace ofs::ctl {

int cert_import(const app::config& c, const std::vector<std::filesystem::path>& dirs);

}  // namespace ofs::ctl
