// zosnet writes to stdout a 0-OS network object as a Go 0-OS module sends
// it over zbus: a Go struct with modules.Network's field names and types
// (threefoldtech/zos modules/network.go at 0cc94d90, our own definitions)
// encoded by vmihailenco/msgpack, v4 (what zbus uses) or v5.
//
// usage: zosnet v4|v5 [golden.json]    (tests/zbus/go_encoder_test.sh builds
// and runs it); with a file, the network is that object (golden.go).
package main

import (
	"fmt"
	"net"
	"os"

	msgpack4 "github.com/vmihailenco/msgpack"
	msgpack5 "github.com/vmihailenco/msgpack/v5"
)

type NetID string

type ReachabilityV4 int // 0 hidden, 1 public

type ReachabilityV6 int // 0 ULA, 1 public

type ConnType int // 0 wireguard

// The json tags are there as in 0-OS: msgpack must not use them.
type NodeID struct {
	ID             string         `json:"id"`
	FarmerID       string         `json:"farmer_id"`
	ReachabilityV4 ReachabilityV4 `json:"reachability_v4"`
	ReachabilityV6 ReachabilityV6 `json:"reachability_v6"`
}

type Network struct {
	NetID        NetID `json:"network_id"`
	PrefixZero   *net.IPNet
	Resources    []*NetResource `json:"resources"`
	Exit         *ExitPoint     `json:"exit_point"`
	AllocationNR int8           `json:"allocation_nr"`
	Version      uint32         `json:"version"`
}

type NetResource struct {
	NodeID    *NodeID    `json:"node_id"`
	Prefix    *net.IPNet `json:"prefix"`
	LinkLocal *net.IPNet `json:"link_local"`
	Peers     []*Peer    `json:"peers"`
	ExitPoint int        `json:"exit_point"`
}

type Peer struct {
	Type       ConnType   `json:"type"`
	Prefix     *net.IPNet `json:"prefix"`
	Connection Wireguard  `json:"connection"`
}

type Wireguard struct {
	IP         net.IP `json:"ip"`
	Port       uint16 `json:"port"`
	Key        string `json:"key"`
	PrivateKey string `json:"private_key"`
}

type ExitPoint struct {
	Ipv4Conf  *Ipv4Conf `json:"ipv4_conf"`
	Ipv4DNAT  []*DNAT   `json:"ipv4_dnat"`
	Ipv6Conf  *Ipv6Conf `json:"ipv6_conf"`
	Ipv6Allow []net.IP  `json:"ipv6_allow"`
}

type DNAT struct {
	InternalIP   net.IP `json:"internal_ip"`
	InternalPort uint16 `json:"internal_port"`
	ExternalIP   net.IP `json:"external_ip"`
	ExternalPort uint16 `json:"external_port"`
	Protocol     string `json:"protocol"`
}

type Ipv4Conf struct {
	CIDR      *net.IPNet `json:"cird"`
	Gateway   net.IP     `json:"gateway"`
	Metric    uint32     `json:"metric"`
	Iface     string     `json:"iface"`
	EnableNAT bool       `json:"enable_nat"`
}

type Ipv6Conf struct {
	Addr    *net.IPNet `json:"addr"`
	Gateway net.IP     `json:"gateway"`
	Metric  uint32     `json:"metric"`
	Iface   string     `json:"iface"`
}

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// An address with its prefix length, as 0-OS keeps link-local addresses.
func host(s string) *net.IPNet {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	n.IP = ip
	return n
}

func network() Network {
	return Network{
		NetID:        "zg-go",
		PrefixZero:   cidr("10.40.0.0/16"),
		AllocationNR: 0,
		Version:      3,
		Resources: []*NetResource{
			{
				NodeID:    &NodeID{ID: "node1", FarmerID: "farm1", ReachabilityV4: 1, ReachabilityV6: 0},
				Prefix:    cidr("2a02:1802:5e:c40::/64"),
				LinkLocal: host("fe80::c40:1/64"),
				ExitPoint: 1,
				Peers: []*Peer{
					{Type: 0, Prefix: cidr("2a02:1802:5e:c41::/64"), Connection: Wireguard{
						IP: net.ParseIP("192.0.2.7"), Port: 51820, // 16 bytes, IPv4-mapped
						Key: "p41Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o=", PrivateKey: ""}},
					{Type: 0, Prefix: cidr("2a02:1802:5e:c42::/64"), Connection: Wireguard{
						IP: net.ParseIP("2001:db8::42").To16(), Port: 51821,
						Key: "q42Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o="}},
					{Type: 0, Prefix: cidr("2a02:1802:5e:c43::/64"), Connection: Wireguard{
						IP: nil, Key: "r43Xz8Qm5yUqW0kKq8r3m7H9bC6dE2fG1hJ4kL5mN6o="}}, // hidden peer
					// This NR's own entry: its listen port and private key (a test key).
					{Type: 0, Prefix: cidr("2a02:1802:5e:c40::/64"), Connection: Wireguard{
						Port: 51840, Key: "CcQquz6id1Yj+PadYI4SNA1UFOJrhbxxwqhmE4TLNWI=",
						PrivateKey: "METraOrLxlpdxkFSsUYm2r7uGwr9boF2dQeMfsIwf1c="}},
				},
			},
			{
				NodeID: &NodeID{ID: "node2", ReachabilityV4: 0, ReachabilityV6: 1},
				Prefix: cidr("2a02:1802:5e:c41::/64"),
			},
		},
		Exit: &ExitPoint{
			Ipv4Conf: &Ipv4Conf{
				CIDR:    &net.IPNet{IP: net.ParseIP("192.0.2.0"), Mask: net.CIDRMask(24, 32)},
				Gateway: net.ParseIP("192.0.2.1").To4(), Metric: 100, Iface: "eth0", EnableNAT: true},
			Ipv4DNAT: []*DNAT{{InternalIP: net.ParseIP("10.40.1.5"), InternalPort: 80,
				ExternalIP: net.ParseIP("192.0.2.10"), ExternalPort: 8080, Protocol: "tcp"}},
			Ipv6Conf: &Ipv6Conf{Addr: host("2a02:1802:5e:c40::1/64"), Gateway: net.ParseIP("fe80::1"),
				Metric: 1, Iface: "eth0"},
			Ipv6Allow: []net.IP{net.ParseIP("2a02:1802:5e:c40::5")},
		},
	}
}

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: zosnet v4|v5 [golden.json]")
		os.Exit(2)
	}
	n := network()
	if len(os.Args) == 3 {
		n = goldenNetworkFrom(os.Args[2])
	}
	var b []byte
	var err error
	switch os.Args[1] {
	case "v4":
		b, err = msgpack4.Marshal(n)
	case "v5":
		b, err = msgpack5.Marshal(n)
	default:
		err = fmt.Errorf("unknown encoder %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(b)
}
