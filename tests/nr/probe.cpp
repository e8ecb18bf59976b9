#include "nr/probe.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "support/support.h"

namespace zos::test::nr {

namespace {

constexpr const char* kListener =
    "import os,socket,sys,time\n"
    "s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)\n"
    "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
    "s.bind(('::',int(sys.argv[1])))\n"
    "print('ready',flush=True)\n"
    "s.settimeout(0.1)\n"
    "done,end=sys.argv[2],None\n"
    "while end is None or time.time()<end:\n"
    "  try: print(s.recvfrom(200)[0].decode(),flush=True)\n"
    "  except socket.timeout: pass\n"
    "  if end is None and os.path.exists(done): end=time.time()+1.0\n";

constexpr const char* kSender =
    "import socket,sys,time\n"
    "src,dst,port,tag,sport=sys.argv[1],sys.argv[2],int(sys.argv[3]),sys.argv[4],int(sys.argv[5])\n"
    "src='' if src=='any' else src\n"
    "f=socket.AF_INET6 if ':' in dst else socket.AF_INET\n"
    "s=socket.socket(f,socket.SOCK_DGRAM)\n"
    "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "if src or sport: s.bind((src or ('::' if f==socket.AF_INET6 else '0.0.0.0'),sport))\n"
    "for i in range(3):\n"
    "  try: s.sendto(tag.encode(),(dst,port))\n"
    "  except OSError: pass\n"
    "  time.sleep(0.1)\n";

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

std::vector<std::string> udp_arrivals(const std::string& at, int port, const std::vector<Udp>& sends,
                                      const std::string& dev) {
  TempDir tmp;
  // The listener stops 1 s after the senders are done (the file `done`), so
  // a slow start of the senders on a loaded machine loses nothing.
  std::string out = tmp / "got", lis = tmp / "l.py", snd = tmp / "s.py", done = tmp / "done";
  std::ofstream(lis) << kListener;
  std::ofstream(snd) << kSender;
  Background listener("exec nsenter --net=" + at + " python3 -u " + lis + " " + std::to_string(port) + " " + done + " >" + out +
                      " 2>&1");
  for (int i = 0; i < 200 && sh_out("cat " + out + " 2>/dev/null").find("ready") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // Without a listener every "did not arrive" check would pass.
  if (sh_out("cat " + out + " 2>/dev/null").find("ready") == std::string::npos)
    throw std::runtime_error("the UDP listener in " + at + " did not start: " + sh_out("cat " + out + " 2>&1"));
  std::vector<std::unique_ptr<Background>> senders;
  for (const auto& u : sends) {
    // A borrowed address goes again after the send (it would win the
    // source selection of later traffic); one the container has stays.
    std::string pre, post;
    if (!u.src.empty()) {
      std::string a = u.src + (u.src.find(':') != std::string::npos ? "/128" : "/32");
      pre = "ip addr add " + a + (u.src.find(':') != std::string::npos ? " nodad" : "") + " dev " + dev +
            " 2>/dev/null && added=1; ";
      post = "; [ -n \"$added\" ] && ip addr del " + a + " dev " + dev;
    }
    senders.push_back(std::make_unique<Background>("exec nsenter --net=" + u.from + " sh -c " +
                                                   quote(pre + "python3 " + snd + " " + (u.src.empty() ? "any" : u.src) + " " + u.dst +
                                                         " " + std::to_string(u.port) + " " + u.tag + " " + std::to_string(u.sport) + post) +
                                                   " >/dev/null 2>&1"));
  }
  for (auto& s : senders) s->wait();
  std::ofstream(done) << "";
  listener.wait();
  std::set<std::string> tags;
  std::istringstream in(sh_out("cat " + out));
  for (std::string line; std::getline(in, line);)
    if (line != "ready") tags.insert(line);
  return {tags.begin(), tags.end()};
}

bool arrived(const std::vector<std::string>& got, const std::string& tag) {
  return std::find(got.begin(), got.end(), tag) != got.end();
}

}  // namespace zos::test::nr
