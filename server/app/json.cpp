// Boost.JSON compiled once, here (its header-only mode), for the control socket and ofsctl.
#include <boost/json/src.hpp>
