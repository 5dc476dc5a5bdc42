// XCAP documents, on every backend.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

st::xcap_document doc(std::string auid, std::string name, std::string body, std::string etag) {
  return {std::move(auid), std::move(name), std::move(body), std::move(etag)};
}

TEST_P(store, xcap_documents_put_replace_list_and_delete) {
  auto alice = account("alice@example.test");
  EXPECT_FALSE(run(db().get_xcap_document(alice, "pres-rules", "index")).value());
  ASSERT_TRUE(run(db().put_xcap_document(alice, doc("pres-rules", "index", "<a/>", "e1"))));
  ASSERT_TRUE(run(db().put_xcap_document(alice, doc("resource-lists", "dir/other", "<b/>", "e2"))));
  ASSERT_TRUE(run(db().put_xcap_document(alice, doc("pres-rules", "index", "<c/>", "e3"))));  // replaces
  auto got = run(db().get_xcap_document(alice, "pres-rules", "index")).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, "<c/>");
  EXPECT_EQ(got->etag, "e3");
  auto all = run(db().list_xcap_documents(alice)).value();
  ASSERT_EQ(all.size(), 2u);  // sorted by auid, then name
  EXPECT_EQ(all[0], doc("pres-rules", "index", "<c/>", "e3"));
  EXPECT_EQ(all[1], doc("resource-lists", "dir/other", "<b/>", "e2"));
  EXPECT_TRUE(run(db().delete_xcap_document(alice, "pres-rules", "index")).value());
  EXPECT_FALSE(run(db().delete_xcap_document(alice, "pres-rules", "index")).value());
  EXPECT_EQ(run(db().list_xcap_documents(alice)).value().size(), 1u);
}

TEST_P(store, xcap_documents_belong_to_an_account) {
  auto bob = account("bob@example.test");
  auto nobody = make_jid("nobody@example.test");
  auto put = run(db().put_xcap_document(nobody, doc("pres-rules", "index", "<a/>", "e1")));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error(), st::storage_error::no_account);
  EXPECT_TRUE(run(db().list_xcap_documents(nobody)).value().empty());
  ASSERT_TRUE(run(db().put_xcap_document(bob, doc("pres-rules", "index", "<a/>", "e1"))));
  EXPECT_FALSE(run(db().get_xcap_document(make_jid("carol@example.test"), "pres-rules", "index")).value());
  ASSERT_TRUE(run(db().remove_account(bob)).value());
  ASSERT_TRUE(run(db().create_account(bob, {})).value());
  EXPECT_FALSE(run(db().get_xcap_document(bob, "pres-rules", "index")).value());  // went with the account
}

}  // namespace
}  // namespace storage_test
