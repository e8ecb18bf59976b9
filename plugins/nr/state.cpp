#include "plugins/nr/state.h"

#include "common/cni/env.h"
#include "common/cni/error.h"

namespace zos::nr {

using nlohmann::json;

namespace {

// One state file (sys::read_json_state's rule); a corrupt one is error 6.
template <class... Expect>
std::optional<json> read_json(const sys::JsonStateDir& d, const std::string& name, const Expect&... expect) {
  try {
    return d.read(name, expect...);
  } catch (const sys::CorruptState& e) {
    throw cni::Error(cni::kDecodeFailure, e.what());
  }
}

Applied applied_from(json&& j) {
  Applied a;
  a.network_id = j.value("network_id", "");
  a.version = j.value("version", uint64_t{0});
  a.netns = j.value("netns", "");
  a.node_id = j.value("node_id", "");
  // Moved, not copied (j.value() copies): a network of 1000 peers.
  if (auto n = j.find("network"); n != j.end()) a.network = std::move(*n);
  else a.network = json::object();
  // (The short way of read_json_state leaves "network" null: applied()
  // shares the expected object instead.)
  if (auto m = j.find("mtu"); m != j.end() && m->is_number_unsigned()) a.mtu = m->get<unsigned>();
  return a;
}

}  // namespace

// The applied record's file name. The id comes from a validated object, or
// from a caller that only names it (zbus Namespace, `zos-nr namespace`): one
// that is no network name ("../x", a NUL) never becomes a path.
std::string State::network_file(const std::string& network_id) {
  if (!cni::valid_network_name(network_id))
    throw cni::Error(cni::kInvalidConfig, "network id \"" + network_id + "\" must match [a-zA-Z0-9][a-zA-Z0-9_.-]*");
  return network_id + ".json";
}

State::State(std::string data_dir)
    : dir_(std::move(data_dir) + "/nr"), networks_(dir_ + "/networks"), attachments_(dir_ + "/attachments") {}

std::optional<Applied> State::applied(const std::string& network_id) const {
  auto j = read_json(networks_, network_file(network_id));
  if (!j) return std::nullopt;
  return applied_from(std::move(*j));
}

std::optional<Applied> State::applied(const std::string& network_id, const sys::SharedJson& expect) const {
  bool same = false;
  auto j = read_json(networks_, network_file(network_id), std::string_view("network"), expect.get(), &same);
  if (!j) return std::nullopt;
  Applied a = applied_from(std::move(*j));
  if (same) a.network = expect;  // shared, not copied
  return a;
}

std::vector<Applied> State::all_applied() const {
  std::vector<Applied> out;
  for (auto& [id, j] : networks_.records(".json")) out.push_back(applied_from(std::move(j)));
  return out;
}

void State::save_applied(const Applied& a) const {
  json j = {{"network_id", a.network_id}, {"version", a.version}, {"netns", a.netns},
            {"node_id", a.node_id},       {"network", a.network.get()}};
  if (a.mtu) j["mtu"] = *a.mtu;
  networks_.write(network_file(a.network_id), j);
}

void State::remove_applied(const std::string& network_id) const { networks_.remove(network_file(network_id)); }

std::optional<std::string> State::owner(const std::string& netns) const {
  auto text = sys::read_file(dir_ + "/names/" + netns);
  if (!text) return std::nullopt;
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

void State::set_owner(const std::string& netns, const std::string& network_id) const {
  sys::make_dirs(dir_ + "/names", 0700);
  sys::write_file_atomic(dir_ + "/names/" + netns, network_id + "\n", 0600);
}

void State::remove_owner(const std::string& netns) const { sys::remove_if_exists(dir_ + "/names/" + netns); }

namespace {

AttachmentRecord attachment_from(const std::string& host_veth, const json& j) {
  AttachmentRecord r;
  r.host_veth = host_veth;
  r.container_id = j.value("containerID", "");
  r.ifname = j.value("ifname", "");
  r.network_id = j.value("network_id", "");
  r.netns = j.value("netns", "");
  r.config_name = j.value("config", "");
  r.container_netns = j.value("containerNetns", "");
  r.mac = j.value("mac", "");
  if (auto a = j.find("addrs"); a != j.end() && a->is_array())
    for (const auto& x : *a)
      if (x.is_string()) r.addrs.push_back(x);
  return r;
}

}  // namespace

std::optional<AttachmentRecord> State::attachment(const std::string& host_veth) const {
  auto j = read_json(attachments_, host_veth + ".json");
  if (!j) return std::nullopt;
  return attachment_from(host_veth, *j);
}

std::vector<AttachmentRecord> State::attachments() const {
  std::vector<AttachmentRecord> out;
  for (const auto& [veth, j] : attachments_.records(".json")) out.push_back(attachment_from(veth, j));
  return out;
}

void State::save_attachment(const AttachmentRecord& r) const {
  json j = {{"containerID", r.container_id}, {"ifname", r.ifname}, {"network_id", r.network_id},
            {"netns", r.netns},              {"config", r.config_name}, {"containerNetns", r.container_netns}};
  if (!r.mac.empty()) j["mac"] = r.mac;
  if (!r.addrs.empty()) j["addrs"] = r.addrs;
  // Crash-safe, not durable: the veth it describes does not survive a reboot.
  attachments_.write(r.host_veth + ".json", j, sys::Sync::kCrashSafe, -1);
}

void State::remove_attachment(const std::string& host_veth) const { attachments_.remove(host_veth + ".json"); }

sys::FileLock State::lock(const std::string& netns, sys::FileLock::Mode mode) const {
  return sys::in_dir(dir_ + "/locks", 0700, [&] { return sys::FileLock(dir_ + "/locks/" + netns + ".lock", mode); });
}

}  // namespace zos::nr
