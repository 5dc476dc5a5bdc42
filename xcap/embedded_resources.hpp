#pragma once
// The XML schemas of schema/xcap/, embedded at build time (embed_xsd.cmake) so that nothing
// is read from disk at run time: the entity loader serves these by file name, and only these.
#include <optional>
#include <string_view>

namespace ofs::xcap {

// The text of schema/xcap/<name> (NUL-terminated), or nullopt.
std::optional<std::string_view> embedded_resource(std::string_view name);

}  // namespace ofs::xcap
