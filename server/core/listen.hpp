#pragma once
// Opens, binds and listens an acceptor; every listener of every front-end starts this way.
#include <boost/asio/ip/tcp.hpp>

namespace ofs::core {

inline boost::system::error_code open_acceptor(boost::asio::ip::tcp::acceptor& a,
                                               const boost::asio::ip::tcp::endpoint& at) {
  boost::system::error_code ec;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    a.close(ignored);
  }
  return ec;
}

}  // namespace ofs::core
