#pragma once
// Fallible non-I/O code returns result<T>: a value or an error_code (STYLE section 4).
#include <boost/system/result.hpp>

namespace ofs {
template <class T>
using result = boost::system::result<T>;
using error_code = boost::system::error_code;
}  // namespace ofs
