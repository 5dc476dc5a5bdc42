#include "server/storage/store.hpp"

namespace ofs::storage {
namespace {

class storage_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "storage"; }
  std::string message(int ev) const override {
    switch (static_cast<storage_error>(ev)) {
      case storage_error::unavailable: return "database unavailable";
      case storage_error::failed: return "database statement failed";
      case storage_error::bad_schema: return "database schema is newer than this program or a migration failed";
      case storage_error::no_account: return "no such account";
    }
    return "unknown storage error";
  }
};

}  // namespace

const boost::system::error_category& storage_category() {
  static const storage_category_impl instance;
  return instance;
}

}  // namespace ofs::storage
