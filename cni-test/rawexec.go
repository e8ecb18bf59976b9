package main

// GC and STATUS (CNI spec 1.1.0) are newer than Debian's libcni 1.1.2, so
// they are driven by raw exec here, with the config and environment built
// the way libcni 1.2's GCNetworkList / GetStatusNetworkList build them:
// each plugin's config gets the list's name and cniVersion injected (GC
// also gets cni.dev/valid-attachments and the legacy cni.dev/attachments),
// CNI_COMMAND and CNI_PATH are set, the other CNI_ variables are empty.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
)

// Attachment is one entry of cni.dev/valid-attachments.
type Attachment struct {
	ContainerID string `json:"containerID"`
	IfName      string `json:"ifname"`
}

func rawConfig(list *libcni.NetworkConfigList, net *libcni.NetworkConfig, version string, extra map[string]interface{}) ([]byte, error) {
	inject := map[string]interface{}{"name": list.Name, "cniVersion": version}
	for k, v := range extra {
		inject[k] = v
	}
	c, err := libcni.InjectConf(net, inject)
	if err != nil {
		return nil, err
	}
	return c.Bytes, nil
}

func rawArgs(command string, paths []string) *invoke.Args {
	return &invoke.Args{Command: command, Path: strings.Join(paths, ":")}
}

// rawGC runs GC on every plugin of the list (in order) and reports every
// failure, as libcni 1.2 does. A single failure is returned as is, so the
// caller can read its CNI error code.
func rawGC(ctx context.Context, ex invoke.Exec, paths []string, list *libcni.NetworkConfigList, version string, valid []Attachment) error {
	if valid == nil {
		valid = []Attachment{}
	}
	var errs []error
	for _, net := range list.Plugins {
		path, err := ex.FindInPath(net.Network.Type, paths)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		conf, err := rawConfig(list, net, version, map[string]interface{}{
			"cni.dev/valid-attachments": valid, "cni.dev/attachments": valid})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := invoke.ExecPluginWithoutResult(ctx, path, conf, rawArgs("GC", paths), ex); err != nil {
			errs = append(errs, fmt.Errorf("plugin %s (gc): %w", net.Network.Type, err))
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	if len(errs) > 1 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// rawStatus runs STATUS on every plugin of the list and stops at the first
// that is not ready.
func rawStatus(ctx context.Context, ex invoke.Exec, paths []string, list *libcni.NetworkConfigList, version string) error {
	for _, net := range list.Plugins {
		path, err := ex.FindInPath(net.Network.Type, paths)
		if err != nil {
			return err
		}
		conf, err := rawConfig(list, net, version, nil)
		if err != nil {
			return err
		}
		if err := invoke.ExecPluginWithoutResult(ctx, path, conf, rawArgs("STATUS", paths), ex); err != nil {
			return fmt.Errorf("plugin %s (status): %w", net.Network.Type, err)
		}
	}
	return nil
}
