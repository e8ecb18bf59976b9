// Reading a network object in the JSON that 0-OS's own encoders write
// (tests/model/golden: "wireguard" peer types, "public"/"hidden",
// "addr/len" prefixes, "<nil>" IPs, "Connection") into the Go structs of
// zosnet.go, so the same object can be sent in 0-OS's msgpack form. Our own
// reading of that format, written from its description in
// tests/model/golden/README.md.
package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
)

type goldenConn struct {
	IP         string `json:"ip"`
	Port       uint16 `json:"port"`
	Key        string `json:"key"`
	PrivateKey string `json:"private_key"`
}

type goldenPeer struct {
	Type       string     `json:"type"`
	Prefix     string     `json:"prefix"`
	Connection goldenConn // untagged, as 0-OS's: "Connection"
}

type goldenResource struct {
	NodeID struct {
		ID       string `json:"id"`
		FarmerID string `json:"farmer_id"`
		V4       string `json:"reachability_v4"`
		V6       string `json:"reachability_v6"`
	} `json:"node_id"`
	Prefix    string       `json:"prefix"`
	LinkLocal string       `json:"link_local"`
	Peers     []goldenPeer `json:"peers"`
	ExitPoint int          `json:"exit_point"`
}

type goldenNetwork struct {
	NetworkID  string           `json:"network_id"`
	Resources  []goldenResource `json:"resources"`
	PrefixZero string           `json:"prefix_zero"`
	ExitPoint  *struct {
		Ipv4Conf *struct {
			Cidr      string `json:"cidr"`
			Gateway   string `json:"gateway"`
			Metric    uint32 `json:"metric"`
			Iface     string `json:"iface"`
			EnableNat bool   `json:"enable_nat"`
		} `json:"ipv4_conf"`
		Ipv4Dnat []struct {
			InternalIP   string `json:"internal_ip"`
			InternalPort uint16 `json:"internal_port"`
			ExternalIP   string `json:"external_ip"`
			ExternalPort uint16 `json:"external_port"`
			Protocol     string `json:"protocol"`
		} `json:"ipv4_dnat"`
		Ipv6Conf *struct {
			Addr    string `json:"addr"`
			Gateway string `json:"gateway"`
			Metric  uint32 `json:"metric"`
			Iface   string `json:"iface"`
		} `json:"ipv6_conf"`
		Ipv6Allow []string `json:"ipv6_allow"`
	} `json:"exit_point"`
	AllocationNR int8   `json:"allocation_nr"`
	Version      uint32 `json:"version"`
}

// "addr/len" keeping the address (as 0-OS keeps link-local ones); "" or "<nil>": nil.
func ipnet(s string) *net.IPNet {
	if s == "" || s == "<nil>" {
		return nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func reach(s string) int {
	if s == "public" {
		return 1
	}
	return 0
}

func goldenNetworkFrom(path string) Network {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var g goldenNetwork
	if err := json.Unmarshal(b, &g); err != nil {
		panic(err)
	}
	n := Network{NetID: NetID(g.NetworkID), PrefixZero: ipnet(g.PrefixZero), AllocationNR: g.AllocationNR, Version: g.Version}
	for _, r := range g.Resources {
		nr := &NetResource{
			NodeID: &NodeID{ID: r.NodeID.ID, FarmerID: r.NodeID.FarmerID,
				ReachabilityV4: ReachabilityV4(reach(r.NodeID.V4)), ReachabilityV6: ReachabilityV6(reach(r.NodeID.V6))},
			Prefix: ipnet(r.Prefix), LinkLocal: ipnet(r.LinkLocal), ExitPoint: r.ExitPoint,
		}
		for _, p := range r.Peers {
			if p.Type != "wireguard" {
				panic(fmt.Sprintf("peer type %q", p.Type))
			}
			nr.Peers = append(nr.Peers, &Peer{Type: 0, Prefix: ipnet(p.Prefix), Connection: Wireguard{
				IP: net.ParseIP(p.Connection.IP), Port: p.Connection.Port, Key: p.Connection.Key,
				PrivateKey: p.Connection.PrivateKey}})
		}
		n.Resources = append(n.Resources, nr)
	}
	if e := g.ExitPoint; e != nil {
		n.Exit = &ExitPoint{}
		if c := e.Ipv4Conf; c != nil {
			n.Exit.Ipv4Conf = &Ipv4Conf{CIDR: ipnet(c.Cidr), Gateway: net.ParseIP(c.Gateway), Metric: c.Metric,
				Iface: c.Iface, EnableNAT: c.EnableNat}
		}
		for _, d := range e.Ipv4Dnat {
			n.Exit.Ipv4DNAT = append(n.Exit.Ipv4DNAT, &DNAT{InternalIP: net.ParseIP(d.InternalIP),
				InternalPort: d.InternalPort, ExternalIP: net.ParseIP(d.ExternalIP), ExternalPort: d.ExternalPort,
				Protocol: d.Protocol})
		}
		if c := e.Ipv6Conf; c != nil {
			n.Exit.Ipv6Conf = &Ipv6Conf{Addr: ipnet(c.Addr), Gateway: net.ParseIP(c.Gateway), Metric: c.Metric,
				Iface: c.Iface}
		}
		for _, a := range e.Ipv6Allow {
			n.Exit.Ipv6Allow = append(n.Exit.Ipv6Allow, net.ParseIP(a))
		}
	}
	return n
}
