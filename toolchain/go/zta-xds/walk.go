package main

import (
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	status "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

type (
	protoreflectFieldDescriptor = protoreflect.FieldDescriptor
	protoreflectValue           = protoreflect.Value
	statusProto                 = status.Status
)

// visitField calls f for every message held by one field (singular, list or map values).
func visitField(fd protoreflect.FieldDescriptor, v protoreflect.Value, f func(proto.Message)) {
	isMsg := fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind
	switch {
	case fd.IsList():
		if !isMsg {
			return
		}
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			f(l.Get(i).Message().Interface())
		}
	case fd.IsMap():
		if fd.MapValue().Kind() != protoreflect.MessageKind {
			return
		}
		v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
			f(mv.Message().Interface())
			return true
		})
	case isMsg:
		f(v.Message().Interface())
	}
}

// edsClusterName is the name EDS is asked for, for clusters whose endpoints come by EDS.
func edsClusterName(m proto.Message) string {
	c, ok := m.(*cluster.Cluster)
	if !ok || c.GetType() != cluster.Cluster_EDS {
		return ""
	}
	if n := c.GetEdsClusterConfig().GetServiceName(); n != "" {
		return n
	}
	return c.GetName()
}

// rdsNames: the route configurations the listeners' HTTP connection managers ask for by RDS.
func rdsNames(listeners []proto.Message) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range listeners {
		l, ok := m.(*listener.Listener)
		if !ok {
			continue
		}
		for _, fc := range append(l.GetFilterChains(), l.GetDefaultFilterChain()) {
			for _, f := range fc.GetFilters() {
				tc := f.GetTypedConfig()
				if tc == nil {
					continue
				}
				var h hcm.HttpConnectionManager
				if tc.UnmarshalTo(&h) != nil {
					continue
				}
				if n := h.GetRds().GetRouteConfigName(); n != "" && !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
	}
	return names
}
