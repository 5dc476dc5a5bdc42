#pragma once
// XEP-0054 vcard-temp: the owner sets their vCard on their own bare JID; anyone may get
// it (an empty <vCard/> when none was set). Kept in the private store as "vcard-temp".
#include <cstddef>

namespace ofs::im {

class service;

// Larger vCards are refused with <not-acceptable/>: avatars belong in XEP-0084.
inline constexpr std::size_t vcard_max_bytes = 128 * 1024;

void install_vcard(service& svc);

}  // namespace ofs::im
