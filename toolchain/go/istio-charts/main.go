// Command istio-charts writes Helm charts embedded in istio.io/istio/manifests
// (manifests.FS, which go:embeds charts/* and profiles/*) to a directory.
//
// Usage: istio-charts OUTDIR NAME=FS_DIR [NAME=FS_DIR...]
//
// e.g. istio-charts out base=charts/base istiod=charts/istio-control/istio-discovery gateway=charts/gateway
// Nothing is rewritten: files are copied byte for byte. For every chart the
// Chart.yaml name/version/appVersion lines are printed so the caller can record them.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"istio.io/istio/manifests"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: istio-charts OUTDIR NAME=FS_DIR...")
		os.Exit(2)
	}
	out := os.Args[1]
	for _, arg := range os.Args[2:] {
		name, src, ok := strings.Cut(arg, "=")
		if !ok {
			fail("bad argument %q (want NAME=FS_DIR)", arg)
		}
		sub, err := fs.Sub(manifests.FS, src)
		if err != nil {
			fail("%s: %v", src, err)
		}
		chart, err := fs.ReadFile(sub, "Chart.yaml")
		if err != nil {
			fail("%s has no Chart.yaml: %v", src, err)
		}
		dest := filepath.Join(out, name)
		n := 0
		err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			target := filepath.Join(dest, filepath.FromSlash(p))
			if d.IsDir() {
				return os.MkdirAll(target, 0o755)
			}
			data, err := fs.ReadFile(sub, p)
			if err != nil {
				return err
			}
			n++
			return os.WriteFile(target, data, 0o644)
		})
		if err != nil {
			fail("writing %s: %v", src, err)
		}
		fmt.Printf("%s <- manifests.FS:%s (%d files) %s\n", name, src, n, chartInfo(chart))
	}
}

func chartInfo(chart []byte) string {
	var parts []string
	sc := bufio.NewScanner(bytes.NewReader(chart))
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"name:", "version:", "appVersion:"} {
			if strings.HasPrefix(line, k) {
				parts = append(parts, strings.ReplaceAll(line, " ", ""))
			}
		}
	}
	return strings.Join(parts, " ")
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "istio-charts: "+format+"\n", a...)
	os.Exit(1)
}
