#pragma once
// ofsctl run as root on an installed server works on the files ofsd owns: it becomes the
// owner of the data directory first (as prosodyctl becomes prosody), so that a database or
// journal it creates stays usable by ofsd.
#include <filesystem>
#include <string>

namespace ofs::ctl {

// Nothing to do unless root and the directory exists and belongs to someone else. Returns
// an error message, "" when done or not needed.
std::string run_as_owner_of(const std::filesystem::path& data_dir);

}  // namespace ofs::ctl
