package main

// What a result must say for an NR (DESIGN.md, "Address plan"): IPv4 in
// 10.a.b.0/24 with gateway 10.a.b.1, IPv6 in the NR's /64 with gateway
// prefix::1, default routes via both; and what the kernel must show.

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

type nrPlan struct {
	v4, v6   *net.IPNet
	gw4, gw6 net.IP
}

// nibbleOf: bytes 7-8 of the prefix, as hex ("0e01").
func nibbleOf(prefix string) string {
	_, n, err := net.ParseCIDR(prefix)
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%02x%02x", n.IP[6], n.IP[7])
}

func planOf(prefix string) nrPlan {
	_, v6, _ := net.ParseCIDR(prefix)
	a, b := v6.IP[6], v6.IP[7]
	_, v4, _ := net.ParseCIDR(fmt.Sprintf("10.%d.%d.0/24", a, b))
	gw6 := make(net.IP, 16)
	copy(gw6, v6.IP)
	gw6[15] = 1
	return nrPlan{v4: v4, v6: v6, gw4: net.IPv4(10, a, b, 1).To4(), gw6: gw6}
}

// attachment is what a checked result says about the container.
type attachment struct {
	v4, v6   []net.IP
	mac      string
	hostVeth string
}

func (a *attachment) summary() string {
	return fmt.Sprintf("v4 %v v6 %v mac %s host %s", a.v4, a.v6, a.mac, a.hostVeth)
}

func resultJSON(r types.Result) string {
	r100, err := types100.NewResultFromResult(r)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	b, _ := json.Marshal(r100)
	return string(b)
}

// check verifies a result of cniVersion v against the plan.
func (p nrPlan) check(r types.Result, v, netns string) (*attachment, error) {
	if r.Version() != v {
		return nil, fmt.Errorf("result is cniVersion %s, asked for %s", r.Version(), v)
	}
	res, err := types100.NewResultFromResult(r)
	if err != nil {
		return nil, err
	}
	a := &attachment{}
	ifIndex := -1
	if atLeast(v, "0.3.0") {
		for i, itf := range res.Interfaces {
			switch {
			case itf.Sandbox == netns && itf.Name == "eth0":
				ifIndex, a.mac = i, itf.Mac
			case itf.Sandbox == "" && strings.HasPrefix(itf.Name, "zv"):
				a.hostVeth = itf.Name
			}
		}
		if ifIndex < 0 {
			return nil, fmt.Errorf("no interface eth0 with sandbox %s", netns)
		}
		if a.mac == "" {
			return nil, fmt.Errorf("eth0 has no mac")
		}
		if a.hostVeth == "" {
			return nil, fmt.Errorf("no host veth (zv...) among the interfaces")
		}
	}
	for _, ip := range res.IPs {
		if ifIndex >= 0 && (ip.Interface == nil || *ip.Interface != ifIndex) {
			return nil, fmt.Errorf("IP %s is not on interface %d (eth0)", ip.Address.String(), ifIndex)
		}
		ones, _ := ip.Address.Mask.Size()
		if ip4 := ip.Address.IP.To4(); ip4 != nil {
			if !p.v4.Contains(ip4) || ones != 24 || ip4.Equal(p.gw4) || ip4[3] == 0 || ip4[3] == 255 {
				return nil, fmt.Errorf("IPv4 %s is not a host address of %s", ip.Address.String(), p.v4)
			}
			if !ip.Gateway.Equal(p.gw4) {
				return nil, fmt.Errorf("IPv4 gateway %v, want %v", ip.Gateway, p.gw4)
			}
			a.v4 = append(a.v4, ip4)
		} else {
			if !p.v6.Contains(ip.Address.IP) || ones != 64 || ip.Address.IP.Equal(p.gw6) {
				return nil, fmt.Errorf("IPv6 %s is not a host address of %s", ip.Address.String(), p.v6)
			}
			if !ip.Gateway.Equal(p.gw6) {
				return nil, fmt.Errorf("IPv6 gateway %v, want %v", ip.Gateway, p.gw6)
			}
			a.v6 = append(a.v6, ip.Address.IP)
		}
	}
	if len(a.v4) != 1 || len(a.v6) < 1 {
		return nil, fmt.Errorf("want one IPv4 and at least one IPv6, got %v and %v", a.v4, a.v6)
	}
	var def4, def6 bool
	for _, rt := range res.Routes {
		ones, _ := rt.Dst.Mask.Size()
		if ones != 0 {
			continue
		}
		if rt.Dst.IP.To4() != nil {
			def4 = rt.GW == nil || rt.GW.Equal(p.gw4)
		} else {
			def6 = rt.GW == nil || rt.GW.Equal(p.gw6)
		}
	}
	if !def4 || !def6 {
		return nil, fmt.Errorf("default routes via %s and %s missing from %v", p.gw4, p.gw6, res.Routes)
	}
	return a, nil
}

// inKernel: eth0 carries the result's addresses and reaches both gateways.
func (p nrPlan) inKernel(a *attachment, netns string) error {
	out, err := inNetns(netns, "ip", "-o", "addr", "show", "dev", "eth0")
	if err != nil {
		return err
	}
	for _, ip := range append(append([]net.IP{}, a.v4...), a.v6...) {
		if !strings.Contains(out, " "+ip.String()+"/") {
			return fmt.Errorf("eth0 lacks %s:\n%s", ip, out)
		}
	}
	if _, err := inNetns(netns, "ping", "-c1", "-W2", p.gw4.String()); err != nil {
		return fmt.Errorf("container cannot ping its gateway: %w", err)
	}
	if _, err := inNetns(netns, "ping", "-6", "-c1", "-W2", p.gw6.String()); err != nil {
		return fmt.Errorf("container cannot ping its IPv6 gateway: %w", err)
	}
	return nil
}

// chainPresent: what portmap, bandwidth and tuning must have done.
func chainPresent(a *attachment, netns string) error {
	nat, err := sh(nil, "iptables", "-t", "nat", "-S")
	if err != nil {
		return err
	}
	if !strings.Contains(nat, fmt.Sprintf("--dport %d", hostPort)) {
		return fmt.Errorf("portmap: no DNAT rule for port %d:\n%s", hostPort, nat)
	}
	q, err := sh(nil, "tc", "qdisc", "show", "dev", a.hostVeth)
	if err != nil {
		return err
	}
	if !strings.Contains(q, "tbf") && !strings.Contains(q, "ingress") {
		return fmt.Errorf("bandwidth: no tbf/ingress qdisc on %s: %s", a.hostVeth, q)
	}
	v, err := inNetns(netns, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_filter")
	if err != nil {
		return err
	}
	if strings.TrimSpace(v) != "1" {
		return fmt.Errorf("tuning: arp_filter is %q in the container, want 1", strings.TrimSpace(v))
	}
	return nil
}

// chainGone: portmap's rules and bandwidth's ifb device are gone after DEL.
func chainGone() error {
	nat, err := sh(nil, "iptables", "-t", "nat", "-S")
	if err != nil {
		return err
	}
	if strings.Contains(nat, fmt.Sprintf("--dport %d", hostPort)) {
		return fmt.Errorf("portmap: DNAT rule for port %d left after DEL", hostPort)
	}
	names, err := linkNames("")
	if err != nil {
		return err
	}
	for _, n := range names {
		if strings.HasPrefix(n, "bwp") {
			return fmt.Errorf("bandwidth: ifb %s left after DEL", n)
		}
	}
	return nil
}
