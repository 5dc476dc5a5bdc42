#include "server/muc/room_config.hpp"

#include <charconv>
#include <functional>
#include <map>

namespace ofs::muc {
namespace {

core::element field(std::string var, std::string type, std::string value, std::string label = {}) {
  core::element f("field", std::string(data_forms_ns));
  f.set_attr("var", std::move(var));
  if (!type.empty()) f.set_attr("type", std::move(type));
  if (!label.empty()) f.set_attr("label", std::move(label));
  core::element v("value", std::string(data_forms_ns));
  v.add_text(std::move(value));
  f.add_child(std::move(v));
  return f;
}

std::string flag(bool b) { return b ? "1" : "0"; }

core::element with_options(core::element f, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    core::element opt("option", std::string(data_forms_ns));
    core::element v("value", std::string(data_forms_ns));
    v.add_text(o);
    opt.add_child(std::move(v));
    f.add_child(std::move(opt));
  }
  return f;
}

void add_fields(core::element& x, const room_config& c, bool labels) {
  auto l = [labels](const char* text) { return labels ? std::string(text) : std::string(); };
  x.add_child(field("FORM_TYPE", "hidden", std::string(roomconfig_form_type)));
  x.add_child(field("muc#roomconfig_roomname", "text-single", c.name, l("Natural-language room name")));
  x.add_child(
      field("muc#roomconfig_roomdesc", "text-single", c.description, l("Short description of the room")));
  x.add_child(
      field("muc#roomconfig_persistentroom", "boolean", flag(c.persistent), l("Make room persistent")));
  x.add_child(
      field("muc#roomconfig_publicroom", "boolean", flag(c.public_room), l("Make room publicly searchable")));
  x.add_child(
      field("muc#roomconfig_membersonly", "boolean", flag(c.members_only), l("Make room members-only")));
  x.add_child(field("muc#roomconfig_moderatedroom", "boolean", flag(c.moderated), l("Make room moderated")));
  x.add_child(field("muc#roomconfig_passwordprotectedroom", "boolean", flag(c.password_protected),
                    l("Password required to enter")));
  x.add_child(field("muc#roomconfig_roomsecret", "text-private", c.password, l("Password")));
  x.add_child(with_options(field("muc#roomconfig_whois", "list-single",
                                 c.non_anonymous ? "anyone" : "moderators", l("Who may discover real JIDs")),
                           {"moderators", "anyone"}));
  x.add_child(field("muc#roomconfig_changesubject", "boolean", flag(c.change_subject),
                    l("Allow occupants to change the subject")));
  x.add_child(
      field("muc#roomconfig_allowinvites", "boolean", flag(c.allow_invites), l("Allow occupants to invite")));
  x.add_child(with_options(field("muc#roomconfig_allowpm", "list-single", c.allow_pm ? "anyone" : "none",
                                 l("Who may send private messages")),
                           {"anyone", "none"}));
  x.add_child(field("muc#roomconfig_enablearchiving", "boolean", flag(c.archiving),
                    l("Archive the messages (persistent rooms)")));
  x.add_child(field("muc#roomconfig_maxusers", "text-single", std::to_string(c.max_occupants),
                    l("Maximum number of occupants")));
  x.add_child(field("muc#maxhistoryfetch", "text-single", std::to_string(c.history_length),
                    l("Messages of history sent on entering")));
}

std::optional<bool> parse_bool(std::string_view v) {
  if (v == "1" || v == "true") return true;
  if (v == "0" || v == "false") return false;
  return std::nullopt;
}

std::optional<std::size_t> parse_size(std::string_view v) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace

core::element make_config_form(const room_config& c, std::size_t max_occupants_limit) {
  core::element x("x", std::string(data_forms_ns));
  x.set_attr("type", "form");
  core::element title("title", std::string(data_forms_ns));
  title.add_text("Configuration of the room");
  x.add_child(std::move(title));
  core::element instr("instructions", std::string(data_forms_ns));
  instr.add_text("Up to " + std::to_string(max_occupants_limit) + " occupants");
  x.add_child(std::move(instr));
  add_fields(x, c, true);
  return x;
}

core::element make_submit_form(const room_config& c) {
  core::element x("x", std::string(data_forms_ns));
  x.set_attr("type", "submit");
  add_fields(x, c, false);
  return x;
}

std::optional<form_error> apply_config_form(const core::element& x, room_config& c,
                                            std::size_t max_occupants_limit) {
  if (x.name() != "x" || x.xmlns() != data_forms_ns || x.attr("type") != "submit")
    return form_error{"Expected a data form of type submit"};
  room_config next = c;
  bool typed = false;
  for (const auto& f : x.children()) {
    if (f.name() != "field") continue;
    const std::string var(f.attr("var"));
    const std::string value = f.child_text("value", data_forms_ns);
    auto set_bool = [&](bool& out) -> std::optional<form_error> {
      auto b = parse_bool(value);
      if (!b) return form_error{"Field " + var + " must be a boolean"};
      out = *b;
      return std::nullopt;
    };
    std::optional<form_error> err;
    if (var == "FORM_TYPE") {
      if (value != roomconfig_form_type)
        return form_error{"FORM_TYPE must be " + std::string(roomconfig_form_type)};
      typed = true;
    } else if (var == "muc#roomconfig_roomname") {
      next.name = value;
    } else if (var == "muc#roomconfig_roomdesc") {
      next.description = value;
    } else if (var == "muc#roomconfig_persistentroom") {
      err = set_bool(next.persistent);
    } else if (var == "muc#roomconfig_publicroom") {
      err = set_bool(next.public_room);
    } else if (var == "muc#roomconfig_membersonly") {
      err = set_bool(next.members_only);
    } else if (var == "muc#roomconfig_moderatedroom") {
      err = set_bool(next.moderated);
    } else if (var == "muc#roomconfig_passwordprotectedroom") {
      err = set_bool(next.password_protected);
    } else if (var == "muc#roomconfig_roomsecret") {
      next.password = value;
    } else if (var == "muc#roomconfig_whois") {
      if (value != "anyone" && value != "moderators")
        return form_error{"muc#roomconfig_whois: anyone or moderators"};
      next.non_anonymous = value == "anyone";
    } else if (var == "muc#roomconfig_changesubject") {
      err = set_bool(next.change_subject);
    } else if (var == "muc#roomconfig_allowinvites") {
      err = set_bool(next.allow_invites);
    } else if (var == "muc#roomconfig_allowpm") {
      if (value != "anyone" && value != "none" && value != "participants" && value != "moderators")
        return form_error{"muc#roomconfig_allowpm: anyone, participants, moderators or none"};
      next.allow_pm = value != "none";
    } else if (var == "muc#roomconfig_enablearchiving") {
      err = set_bool(next.archiving);
    } else if (var == "muc#roomconfig_maxusers") {
      auto n = parse_size(value);
      if (!n || *n == 0 || *n > max_occupants_limit)
        return form_error{"muc#roomconfig_maxusers must be between 1 and " +
                          std::to_string(max_occupants_limit)};
      next.max_occupants = *n;
    } else if (var == "muc#maxhistoryfetch" || var == "muc#roomconfig_historylength") {
      auto n = parse_size(value);
      if (!n || *n > 1000) return form_error{var + " must be between 0 and 1000"};
      next.history_length = *n;
    }
    if (err) return err;
  }
  if (!typed) return form_error{"The form has no FORM_TYPE"};
  if (next.password_protected && next.password.empty())
    return form_error{"A password-protected room needs a password"};
  c = std::move(next);
  return std::nullopt;
}

}  // namespace ofs::muc
