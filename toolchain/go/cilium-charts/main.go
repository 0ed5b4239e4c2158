// Command cilium-charts writes released Cilium Helm chart archives embedded in
// github.com/cilium/charts (HelmFS, which go:embeds *.tgz) to a directory.
//
// Usage: cilium-charts OUTDIR VERSION [VERSION...]   writes OUTDIR/cilium-VERSION.tgz
//        cilium-charts -list                          prints every embedded archive
// A VERSION that is not embedded is an error; the closest embedded names are printed.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	helm "github.com/cilium/charts"
)

func main() {
	names, err := fs.Glob(helm.HelmFS, "cilium-*.tgz")
	if err != nil {
		fail("%v", err)
	}
	sort.Strings(names)
	if len(os.Args) == 2 && os.Args[1] == "-list" {
		for _, n := range names {
			fmt.Println(n)
		}
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: cilium-charts OUTDIR VERSION... | cilium-charts -list")
		os.Exit(2)
	}
	out := os.Args[1]
	if err := os.MkdirAll(out, 0o755); err != nil {
		fail("%v", err)
	}
	bad := 0
	for _, v := range os.Args[2:] {
		name := "cilium-" + v + ".tgz"
		data, err := fs.ReadFile(helm.HelmFS, name)
		if err != nil {
			minor := strings.Join(strings.SplitN(v, ".", 3)[:2], ".")
			var near []string
			for _, n := range names {
				if strings.HasPrefix(n, "cilium-"+minor+".") {
					near = append(near, n)
				}
			}
			fmt.Fprintf(os.Stderr, "cilium-charts: %s is not embedded in this github.com/cilium/charts version; same minor: %s\n", name, strings.Join(near, " "))
			bad++
			continue
		}
		tmp := filepath.Join(out, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			fail("%v", err)
		}
		if err := os.Rename(tmp, filepath.Join(out, name)); err != nil {
			fail("%v", err)
		}
		fmt.Printf("%s (%d bytes)\n", name, len(data))
	}
	if bad > 0 {
		os.Exit(1)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "cilium-charts: "+format+"\n", a...)
	os.Exit(1)
}
