#pragma once
// RFC 3921's session establishment, advertised as <optional/> (RFC 6121 appendix E): a no-op
// that old clients still send after binding (Strophe, hence converse.js). It gets an empty
// result, whether addressed to the server or, without 'to', to the sender's own account.
namespace ofs::im {

class service;
void install_session(service& svc);

}  // namespace ofs::im
