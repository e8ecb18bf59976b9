package main

// The cnitool-style mode: the same environment and the same libcni calls
// as upstream cnitool (containernetworking/cni/cnitool), so a user can
// attach a namespace by hand.

import (
	"context"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

type toolEnv struct {
	list  *libcni.NetworkConfigList
	paths []string
	cni   *libcni.CNIConfig
}

func loadToolEnv(name string) (*toolEnv, error) {
	dir := os.Getenv("NETCONFPATH")
	if dir == "" {
		dir = "/etc/cni/net.d"
	}
	list, err := libcni.LoadConfList(dir, name)
	if err != nil {
		return nil, fmt.Errorf("network %q in NETCONFPATH %s: %w", name, dir, err)
	}
	paths := filepath.SplitList(os.Getenv("CNI_PATH"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("CNI_PATH is empty: set it to the folder(s) holding the plugins")
	}
	cache := os.Getenv("CNI_CACHE_DIR")
	if cache == "" {
		cache = libcni.CacheDir
	}
	return &toolEnv{list: list, paths: paths, cni: libcni.NewCNIConfigWithCacheDir(paths, cache, nil)}, nil
}

// parseCNIArgs reads CNI_ARGS as cnitool does: K=V pairs separated by ';'.
func parseCNIArgs(s string) ([][2]string, error) {
	var out [][2]string
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ";") {
		p := strings.SplitN(kv, "=", 2)
		if len(p) != 2 || p[0] == "" {
			return nil, fmt.Errorf("CNI_ARGS: %q is not K=V", kv)
		}
		out = append(out, [2]string{p[0], p[1]})
	}
	return out, nil
}

func cnitool(verb string, args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: cni-test %s <net> <netns-path>", verb)
	}
	te, err := loadToolEnv(args[0])
	if err != nil {
		return err
	}
	netns, err := filepath.Abs(args[1])
	if err != nil {
		return err
	}
	rt := &libcni.RuntimeConf{NetNS: netns, IfName: os.Getenv("CNI_IFNAME")}
	if rt.IfName == "" {
		rt.IfName = "eth0"
	}
	rt.ContainerID = os.Getenv("CNI_CONTAINERID")
	if rt.ContainerID == "" {
		// cnitool's id: stable for a netns path, so add/check/del match.
		s := sha512.Sum512([]byte(netns))
		rt.ContainerID = fmt.Sprintf("cnitool-%x", s[:10])
	}
	if rt.Args, err = parseCNIArgs(os.Getenv("CNI_ARGS")); err != nil {
		return err
	}
	if ca := os.Getenv("CAP_ARGS"); ca != "" {
		if err := json.Unmarshal([]byte(ca), &rt.CapabilityArgs); err != nil {
			return fmt.Errorf("CAP_ARGS is not a JSON object: %w", err)
		}
	}
	ctx := context.Background()
	switch verb {
	case "add":
		res, err := te.cni.AddNetworkList(ctx, te.list, rt)
		if err != nil {
			return err
		}
		return res.Print()
	case "check":
		return te.cni.CheckNetworkList(ctx, te.list, rt)
	default:
		return te.cni.DelNetworkList(ctx, te.list, rt)
	}
}

// cnitoolRaw: gc <net> [<containerID>:<ifname>...] and status <net>, at
// cniVersion 1.1.0 whatever the conflist says (libcni 1.1 has neither).
func cnitoolRaw(verb string, args []string) error {
	if len(args) < 1 || (verb == "status" && len(args) != 1) {
		return fmt.Errorf("usage: cni-test gc <net> [<containerID>:<ifname> ...] | cni-test status <net>")
	}
	te, err := loadToolEnv(args[0])
	if err != nil {
		return err
	}
	ex := newExec(nil)
	if verb == "status" {
		return rawStatus(context.Background(), ex, te.paths, te.list, "1.1.0")
	}
	valid := []Attachment{}
	for _, a := range args[1:] {
		p := strings.SplitN(a, ":", 2)
		if len(p) != 2 || p[0] == "" || p[1] == "" {
			return fmt.Errorf("gc: %q is not <containerID>:<ifname>", a)
		}
		valid = append(valid, Attachment{p[0], p[1]})
	}
	return rawGC(context.Background(), ex, te.paths, te.list, "1.1.0", valid)
}
