package main

// bench: the libcni half of bench/compare.py. Run inside a node netns; it
// attaches N containers one by one through AddNetworkList, CHECKs and DELs
// each, then starts K ADDs at once. Every libcni call is timed here (wall);
// every plugin process it runs goes through the rusage launcher (CPU, peak
// RSS, exec.go). Prints one JSON object on stdout.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
)

// opSample is one libcni call: its wall time, and the CPU (sum) and peak
// RSS (max) of the plugin processes it ran.
type opSample struct {
	Wall int64 `json:"wall_ns"`
	CPU  int64 `json:"cpu_ns"`
	RSS  int64 `json:"rss_kib"`
}

func fold(wall time.Duration, ps []Sample) opSample {
	o := opSample{Wall: wall.Nanoseconds()}
	for _, p := range ps {
		o.CPU += p.CPU
		if p.RSS > o.RSS {
			o.RSS = p.RSS
		}
	}
	return o
}

type benchOut struct {
	Add        []opSample `json:"add"`
	Check      []opSample `json:"check"`
	Del        []opSample `json:"del"`
	ConcWall   int64      `json:"conc_wall_ns"`
	ConcCPU    int64      `json:"conc_cpu_ns"`
	ConcRSS    int64      `json:"conc_rss_kib"`
	ConcFailed int        `json:"conc_failed"`
}

func bench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	conflist := fs.String("conflist", "", "the conflist file")
	paths := fs.String("path", "", "CNI_PATH (':'-separated)")
	n := fs.Int("n", 10, "containers attached one after the other")
	conc := fs.Int("concurrent", 8, "ADDs started at once")
	launcher := fs.String("rusage", "", "the rusage launcher of bench/nr_bench.py")
	tag := fs.String("tag", "", "name prefix of the container netns (zt-lc-...)")
	cache := fs.String("cache", "", "libcni cache dir")
	_ = fs.Parse(args)
	if *conflist == "" || *launcher == "" || *tag == "" || *cache == "" || *paths == "" {
		return fmt.Errorf("bench: -conflist, -path, -rusage, -tag and -cache are required")
	}
	list, err := libcni.ConfListFromFile(*conflist)
	if err != nil {
		return err
	}
	m := &meter{launcher: *launcher, dir: *cache}
	cni := libcni.NewCNIConfigWithCacheDir(filepath.SplitList(*paths), *cache, newExec(m))
	ctx := context.Background()
	out := benchOut{}
	var made []string
	defer func() {
		for _, ns := range made {
			netnsDel(ns)
		}
	}()
	rt := func(i int, path string) *libcni.RuntimeConf {
		return &libcni.RuntimeConf{ContainerID: fmt.Sprintf("bench-%d", i), NetNS: path, IfName: "eth0"}
	}
	// call times one libcni call and folds in the plugin samples it made.
	call := func(f func() error) (opSample, error) {
		m.take()
		t := time.Now()
		err := f()
		return fold(time.Since(t), m.take()), err
	}
	var rts []*libcni.RuntimeConf
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("%s-%d", *tag, i)
		path, err := netnsAdd(name)
		made = append(made, name)
		if err != nil {
			return err
		}
		r := rt(i, path)
		rts = append(rts, r)
		s, err := call(func() error { _, e := cni.AddNetworkList(ctx, list, r); return e })
		if err != nil {
			return fmt.Errorf("ADD #%d: %w", i+1, err)
		}
		out.Add = append(out.Add, s)
	}
	if atLeast(list.CNIVersion, "0.4.0") {
		for i, r := range rts {
			s, err := call(func() error { return cni.CheckNetworkList(ctx, list, r) })
			if err != nil {
				return fmt.Errorf("CHECK #%d: %w", i+1, err)
			}
			out.Check = append(out.Check, s)
		}
	}
	for i, r := range rts {
		s, err := call(func() error { return cni.DelNetworkList(ctx, list, r) })
		if err != nil {
			return fmt.Errorf("DEL #%d: %w", i+1, err)
		}
		out.Del = append(out.Del, s)
	}
	for _, ns := range made {
		netnsDel(ns)
	}
	made = nil

	// K ADDs at once, released together.
	var crts []*libcni.RuntimeConf
	for i := 0; i < *conc; i++ {
		name := fmt.Sprintf("%s-k%d", *tag, i)
		path, err := netnsAdd(name)
		made = append(made, name)
		if err != nil {
			return err
		}
		crts = append(crts, rt(100000+i, path))
	}
	m.take()
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for _, r := range crts {
		wg.Add(1)
		go func(r *libcni.RuntimeConf) {
			defer wg.Done()
			<-start
			if _, err := cni.AddNetworkList(ctx, list, r); err != nil {
				mu.Lock()
				out.ConcFailed++
				mu.Unlock()
				fmt.Fprintf(os.Stderr, "concurrent ADD %s: %v\n", r.ContainerID, err)
			}
		}(r)
	}
	t := time.Now()
	close(start)
	wg.Wait()
	cs := fold(time.Since(t), m.take())
	out.ConcWall, out.ConcCPU, out.ConcRSS = cs.Wall, cs.CPU, cs.RSS
	for _, r := range crts {
		if err := cni.DelNetworkList(ctx, list, r); err != nil {
			fmt.Fprintf(os.Stderr, "DEL %s: %v\n", r.ContainerID, err)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
