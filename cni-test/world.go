package main

// Namespaces and commands. The suite runs inside a "node" netns of its own
// (the harness re-executes itself under nsenter --net), so the plugins'
// bridges, host veths and firewall rules land there; container netns are
// named netns of the run. Everything is found again by its name prefix at
// cleanup, also after a crash of the inner process.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// sh runs a command and returns its stdout; the error carries stderr.
func sh(env []string, name string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	c := exec.Command(name, args...)
	c.Stdout, c.Stderr = &out, &errb
	if env != nil {
		c.Env = append(os.Environ(), env...)
	}
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// inNetns runs a command in the netns at path (nsenter --net: no private
// mount namespace, unlike ip netns exec).
func inNetns(path string, name string, args ...string) (string, error) {
	return sh(nil, "nsenter", append([]string{"--net=" + path, name}, args...)...)
}

func netnsAdd(name string) (string, error) {
	if _, err := sh(nil, "ip", "netns", "add", name); err != nil {
		return "", err
	}
	p := "/run/netns/" + name
	if _, err := inNetns(p, "ip", "link", "set", "lo", "up"); err != nil {
		return p, err
	}
	return p, nil
}

func netnsDel(name string) {
	_, _ = sh(nil, "ip", "netns", "del", name)
}

// netnsWithPrefix lists the named netns whose names start with prefix.
func netnsWithPrefix(prefix string) []string {
	var out []string
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

func netnsExists(name string) bool {
	_, err := os.Stat("/run/netns/" + name)
	return err == nil
}

// linkNames lists the interfaces of the current netns (ip -o link).
func linkNames(netnsPath string) ([]string, error) {
	var out string
	var err error
	if netnsPath == "" {
		out, err = sh(nil, "ip", "-o", "link", "show")
	} else {
		out, err = inNetns(netnsPath, "ip", "-o", "link", "show")
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n := strings.TrimSuffix(f[1], ":")
		if i := strings.Index(n, "@"); i >= 0 {
			n = n[:i]
		}
		names = append(names, n)
	}
	return names, nil
}

func hasLink(netnsPath, name string) bool {
	names, _ := linkNames(netnsPath)
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
