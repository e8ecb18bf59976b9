// cni-test drives CNI plugins through Debian's libcni, the library that
// containerd, CRI-O and podman (CNI backend) use, so the plugins are seen
// exactly as those runtimes see them.
//
//	cni-test add|check|del <net> <netns-path>   cnitool-style, by hand
//	cni-test gc <net> [<containerID>:<ifname>...] | status <net>   (raw exec, CNI 1.1.0)
//	cni-test conformance [-v]                   the libcni conformance suite (root)
//	cni-test bench ...                          timings for bench/compare.py
//
// Built in GOPATH mode against golang-github-appc-cni-dev (cni-test/CMakeLists.txt).
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  cni-test add|check|del <net> <netns-path>
  cni-test gc <net> [<containerID>:<ifname> ...]
  cni-test status <net>
  cni-test conformance [-v] [-keep-going]
  cni-test bench -conflist F -node NETNS -prefix P -n N -concurrent K -rusage LAUNCHER

add/check/del/gc/status read NETCONFPATH (default /etc/cni/net.d), CNI_PATH,
CNI_IFNAME (default eth0), CNI_ARGS (K=V;K=V), CAP_ARGS (JSON object of
capability arguments), CNI_CONTAINERID (default derived from the netns path,
as cnitool does) and CNI_CACHE_DIR (default /var/lib/cni).
conformance reads ZOS_PLUGIN_DIR (default: the directory of cni-test).
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "add", "check", "del":
		err = cnitool(os.Args[1], os.Args[2:])
	case "gc", "status":
		err = cnitoolRaw(os.Args[1], os.Args[2:])
	case "conformance":
		os.Exit(conformance(os.Args[2:]))
	case "bench":
		err = bench(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cni-test:", err)
		os.Exit(1)
	}
}
