package main

// The invoke.Exec that libcni runs plugins through. Without a meter it is
// libcni's own default. With one, every plugin runs under the rusage
// launcher of bench/nr_bench.py ("LAUNCHER RESULT - plugin"), which forks
// the plugin from a ~1 MiB static process and reports its wall time, CPU
// and peak RSS: a child's ru_maxrss read from Go itself would include the
// Go process's own RSS (exec records the old mm's high-water mark, and Go
// starts children with CLONE_VM).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

// Sample is one plugin process: wall and CPU in ns, peak RSS in KiB.
type Sample struct {
	Plugin  string `json:"plugin"`
	Command string `json:"command"`
	Wall    int64  `json:"wall_ns"`
	CPU     int64  `json:"cpu_ns"`
	RSS     int64  `json:"rss_kib"`
}

type meter struct {
	launcher string
	dir      string
	seq      int64
	mu       sync.Mutex
	samples  []Sample
}

// take returns and forgets the samples recorded so far.
func (m *meter) take() []Sample {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.samples
	m.samples = nil
	return s
}

type meteredExec struct {
	version.PluginDecoder
	m *meter
}

func newExec(m *meter) invoke.Exec {
	if m == nil {
		return &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}, PluginDecoder: version.PluginDecoder{}}
	}
	return &meteredExec{m: m}
}

func (e *meteredExec) FindInPath(plugin string, paths []string) (string, error) {
	return invoke.FindInPath(plugin, paths)
}

func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			v = kv[len(key)+1:]
		}
	}
	return v
}

func (e *meteredExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	res := filepath.Join(e.m.dir, fmt.Sprintf("rusage-%d", atomic.AddInt64(&e.m.seq, 1)))
	defer os.Remove(res)
	var stdout, stderr bytes.Buffer
	c := exec.CommandContext(ctx, e.m.launcher, res, "-", pluginPath)
	c.Env, c.Stdin, c.Stdout, c.Stderr = environ, bytes.NewReader(stdin), &stdout, &stderr
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf("rusage launcher on %s: %v: %s", pluginPath, err, stderr.String())
	}
	raw, err := os.ReadFile(res)
	if err != nil {
		return nil, err
	}
	var s Sample
	var rc int
	if _, err := fmt.Sscan(string(raw), &s.Wall, &s.CPU, &s.RSS, &rc); err != nil {
		return nil, fmt.Errorf("rusage launcher result %q: %v", raw, err)
	}
	s.Plugin, s.Command = filepath.Base(pluginPath), envValue(environ, "CNI_COMMAND")
	e.m.mu.Lock()
	e.m.samples = append(e.m.samples, s)
	e.m.mu.Unlock()
	if rc != 0 {
		// What invoke.RawExec does with a failed plugin.
		msg := types.Error{}
		if stdout.Len() == 0 || json.Unmarshal(stdout.Bytes(), &msg) != nil {
			msg.Msg = fmt.Sprintf("netplugin failed (exit %d): %q %q", rc, stdout.String(), stderr.String())
		}
		return nil, &msg
	}
	return stdout.Bytes(), nil
}
