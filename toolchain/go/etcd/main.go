// Command etcd is the etcd server: a wrapper around go.etcd.io/etcd/server/v3/etcdmain,
// which is what etcd's own main package (module go.etcd.io/etcd/v3, not on the proxy) calls.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
