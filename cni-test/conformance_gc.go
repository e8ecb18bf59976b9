package main

// GC and STATUS (CNI 1.1.0) by raw exec: attachments are made through
// libcni at 1.0.0, then GC/STATUS run with the list at 1.1.0, as a runtime
// that upgraded would do.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

// codeOf is the CNI error code of err (0 when it carries none).
func codeOf(err error) uint {
	var te *types.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

func hasLease(dataDir string, ip fmt.Stringer) bool {
	for _, f := range leaseFiles(dataDir) {
		if filepath.Base(f) == ip.String() {
			return true
		}
	}
	return false
}

func (s *suite) caseGC() error {
	list, err := s.confList("1.0.0", false, nil)
	if err != nil {
		return err
	}
	type ctr struct {
		name string
		rt   *libcni.RuntimeConf
		got  *attachment
	}
	var cs []ctr
	defer func() {
		for _, c := range cs {
			netnsDel(c.name)
		}
	}()
	for _, id := range []string{"gc-keep", "gc-drop"} {
		name, path, err := s.container()
		if err != nil {
			return err
		}
		rt := &libcni.RuntimeConf{ContainerID: id, NetNS: path, IfName: "eth0"}
		cs = append(cs, ctr{name: name, rt: rt})
		res, err := s.cni.AddNetworkList(s.ctx, list, rt)
		if err != nil {
			return fmt.Errorf("ADD %s: %w", id, err)
		}
		if cs[len(cs)-1].got, err = s.plan.check(res, "1.0.0", path); err != nil {
			return err
		}
	}
	keep, drop := cs[0], cs[1]
	valid := []Attachment{{keep.rt.ContainerID, "eth0"}}
	if err := rawGC(s.ctx, s.ex, s.paths, list, "1.0.0", valid); codeOf(err) != 1 {
		return fmt.Errorf("GC at cniVersion 1.0.0: want error code 1, got %v", err)
	}
	if err := rawGC(s.ctx, s.ex, s.paths, list, "1.1.0", valid); err != nil {
		return fmt.Errorf("GC: %w", err)
	}
	switch {
	case !hasLease(s.dataDir, keep.got.v4[0]):
		return fmt.Errorf("GC removed the lease %s of a valid attachment", keep.got.v4[0])
	case hasLease(s.dataDir, drop.got.v4[0]):
		return fmt.Errorf("GC left the lease %s of an attachment not in cni.dev/valid-attachments", drop.got.v4[0])
	case !hasLink("", keep.got.hostVeth):
		return fmt.Errorf("GC removed the host veth %s of a valid attachment", keep.got.hostVeth)
	case hasLink("", drop.got.hostVeth):
		return fmt.Errorf("GC left the host veth %s of a dropped attachment", drop.got.hostVeth)
	}
	if err := s.cni.CheckNetworkList(s.ctx, list, keep.rt); err != nil {
		return fmt.Errorf("CHECK of the kept attachment after GC: %w", err)
	}
	for _, c := range cs {
		if err := s.cni.DelNetworkList(s.ctx, list, c.rt); err != nil {
			return fmt.Errorf("DEL %s after GC: %w", c.rt.ContainerID, err)
		}
	}
	if err := rawGC(s.ctx, s.ex, s.paths, list, "1.1.0", nil); err != nil {
		return fmt.Errorf("GC with nothing attached: %w", err)
	}
	return s.nothingLeft(keep.got)
}

func (s *suite) caseStatus() error {
	list, err := s.confList("1.0.0", false, nil)
	if err != nil {
		return err
	}
	if err := rawStatus(s.ctx, s.ex, s.paths, list, "1.1.0"); err != nil {
		return fmt.Errorf("STATUS of a working network: %w", err)
	}
	if err := rawStatus(s.ctx, s.ex, s.paths, list, "1.0.0"); codeOf(err) != 1 {
		return fmt.Errorf("STATUS at cniVersion 1.0.0: want error code 1, got %v", err)
	}
	missing := filepath.Join(s.tmp, "no-such-network.json")
	if _, err := os.Stat(missing); err == nil {
		return fmt.Errorf("%s exists", missing)
	}
	broken, err := s.confList("1.0.0", false, func(m map[string]interface{}) { m["networkFile"] = missing })
	if err != nil {
		return err
	}
	err = rawStatus(s.ctx, s.ex, s.paths, broken, "1.1.0")
	if c := codeOf(err); c != 50 && c != 51 {
		return fmt.Errorf("STATUS with the network file missing: want error code 50, got %v", err)
	}
	s.logf("STATUS with the network file missing: %v", err)
	return nil
}
