// zta-xds: the sim's stand-in for a sidecar's control-plane side. Built with pilot-discovery from the same
// istio.io/istio commit (toolchain piece istiod-1.30); the sim's control-plane checks (components/verification/
// controlPlane) call it and judge its JSON. It never decides pass/fail itself.
//
//	zta-xds xds --addr IP:15012 --root ROOT.pem --token-file F --node-id ID --meta JSON [--timeout 20s]
//	    an ADS stream as that proxy: CDS, LDS, then EDS and RDS for what they name; every resource is checked
//	    with its proto validation (what Envoy would NACK) and ACKed or NACKed; prints {resources, nacks}.
//	zta-xds csr --addr IP:15012 --root ROOT.pem --token-file F --spiffe URI --cluster ID [--ttl 24h]
//	    a workload CSR to istiod's CA (IstioCertificateService), prints {chain: [PEM...]} (the key stays here).
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	pb "istio.io/api/security/v1alpha1"
	"istio.io/istio/security/pkg/pki/util"

	// registers every Envoy type istiod sends, so Any fields can be printed and validated
	_ "istio.io/istio/pilot/pkg/xds"
)

const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "zta-xds: "+format+"\n", a...)
	os.Exit(1)
}

type common struct {
	addr, root, tokenFile, san string
	timeout                    time.Duration
}

func (c *common) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "", "istiod's TLS xDS/CA address, IP:15012")
	fs.StringVar(&c.root, "root", "", "PEM file: the root istiod's serving certificate must chain to")
	fs.StringVar(&c.tokenFile, "token-file", "", "file with the service-account token (audience istio-ca)")
	fs.StringVar(&c.san, "san", "istiod.istio-system.svc", "name istiod's serving certificate must carry")
	fs.DurationVar(&c.timeout, "timeout", 20*time.Second, "bound on the whole exchange")
}

func (c *common) dial(ctx context.Context) (*grpc.ClientConn, context.Context) {
	if c.addr == "" || c.root == "" || c.tokenFile == "" {
		fail("--addr, --root and --token-file are required")
	}
	rootPEM, err := os.ReadFile(c.root)
	if err != nil {
		fail("%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(rootPEM) {
		fail("%s: no certificate", c.root)
	}
	token, err := os.ReadFile(c.tokenFile)
	if err != nil {
		fail("%v", err)
	}
	conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{
		RootCAs: pool, ServerName: c.san, MinVersion: tls.VersionTLS12,
	})))
	if err != nil {
		fail("dial %s: %v", c.addr, err)
	}
	return conn, metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+strings.TrimSpace(string(token)))
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		fail("%v", err)
	}
}

// validate runs the resource's generated proto validation, and that of every typed config inside it (Envoy
// validates those when it loads the extension): an error here is what Envoy would reject.
func validate(m proto.Message) error {
	var errs []string
	var walk func(proto.Message)
	walk = func(m proto.Message) {
		if v, ok := m.(interface{ ValidateAll() error }); ok {
			if err := v.ValidateAll(); err != nil {
				errs = append(errs, err.Error())
			}
		}
		m.ProtoReflect().Range(func(fd protoreflectFieldDescriptor, v protoreflectValue) bool {
			visitField(fd, v, func(inner proto.Message) {
				if a, ok := inner.(*anypb.Any); ok {
					if u, err := a.UnmarshalNew(); err == nil {
						walk(u)
					} else {
						errs = append(errs, fmt.Sprintf("%s: %v", a.TypeUrl, err))
					}
					return
				}
				walk(inner)
			})
			return true
		})
	}
	walk(m)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

type nack struct {
	TypeURL string `json:"typeUrl"`
	Name    string `json:"name"`
	Error   string `json:"error"`
}

func runXDS(args []string) {
	fs := flag.NewFlagSet("xds", flag.ExitOnError)
	var c common
	c.flags(fs)
	nodeID := fs.String("node-id", "", "proxy node ID, e.g. sidecar~IP~POD.NS~NS.svc.cluster.local")
	meta := fs.String("meta", "{}", "node metadata (JSON object)")
	_ = fs.Parse(args)
	if *nodeID == "" {
		fail("--node-id is required")
	}
	md := &structpb.Struct{}
	if err := protojson.Unmarshal([]byte(*meta), md); err != nil {
		fail("--meta: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, ctx := c.dial(ctx)
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		fail("ADS stream: %v", err)
	}
	node := &core.Node{Id: *nodeID, Metadata: md}
	out := map[string][]json.RawMessage{}
	var nacks []nack
	// one request/response per type, in Envoy's order; EDS/RDS ask for what CDS/LDS named
	ask := func(typeURL string, names []string) []proto.Message {
		if err := stream.Send(&discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names}); err != nil {
			fail("send %s: %v", typeURL, err)
		}
		for {
			resp, err := stream.Recv()
			if err != nil {
				fail("receive %s: %v", typeURL, err)
			}
			if resp.TypeUrl != typeURL {
				continue // a push of another type; asked again below when needed
			}
			var msgs []proto.Message
			var errs []string
			for _, a := range resp.Resources {
				m, err := a.UnmarshalNew()
				if err != nil {
					fail("decode %s: %v", a.TypeUrl, err)
				}
				if verr := validate(m); verr != nil {
					name := ""
					if n, ok := m.(interface{ GetName() string }); ok {
						name = n.GetName()
					} else if n, ok := m.(interface{ GetClusterName() string }); ok {
						name = n.GetClusterName()
					}
					nacks = append(nacks, nack{TypeURL: typeURL, Name: name, Error: verr.Error()})
					errs = append(errs, verr.Error())
				}
				j, err := protojson.MarshalOptions{UseProtoNames: false}.Marshal(m)
				if err != nil {
					fail("print %s: %v", a.TypeUrl, err)
				}
				out[typeURL] = append(out[typeURL], j)
				msgs = append(msgs, m)
			}
			ackReq := &discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names, ResponseNonce: resp.Nonce}
			if len(errs) > 0 {
				ackReq.ErrorDetail = &statusProto{Message: strings.Join(errs, "; ")}
			} else {
				ackReq.VersionInfo = resp.VersionInfo
			}
			if err := stream.Send(ackReq); err != nil {
				fail("ack %s: %v", typeURL, err)
			}
			return msgs
		}
	}
	clusters := ask(typeCluster, nil)
	var edsNames []string
	for _, m := range clusters {
		if edsName := edsClusterName(m); edsName != "" {
			edsNames = append(edsNames, edsName)
		}
	}
	listeners := ask(typeListener, nil)
	if len(edsNames) > 0 {
		ask(typeEndpoint, edsNames)
	}
	if routes := rdsNames(listeners); len(routes) > 0 {
		ask(typeRoute, routes)
	}
	printJSON(map[string]any{"nodeId": *nodeID, "resources": map[string]any{
		"clusters": out[typeCluster], "listeners": out[typeListener], "endpoints": out[typeEndpoint], "routes": out[typeRoute],
	}, "nacks": nacksOrEmpty(nacks)})
}

func nacksOrEmpty(n []nack) []nack {
	if n == nil {
		return []nack{}
	}
	return n
}

func runCSR(args []string) {
	fs := flag.NewFlagSet("csr", flag.ExitOnError)
	var c common
	c.flags(fs)
	spiffe := fs.String("spiffe", "", "the identity to ask for, spiffe://TRUST-DOMAIN/ns/NS/sa/SA")
	cluster := fs.String("cluster", "", "the cluster ID the token belongs to (istiod's ClusterID header)")
	ttl := fs.Duration("ttl", 24*time.Hour, "requested lifetime")
	_ = fs.Parse(args)
	if *spiffe == "" || *cluster == "" {
		fail("--spiffe and --cluster are required")
	}
	csrPEM, _, err := util.GenCSR(util.CertOptions{Host: *spiffe, ECSigAlg: util.EcdsaSigAlg})
	if err != nil {
		fail("CSR: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	conn, ctx := c.dial(ctx)
	defer conn.Close()
	ctx = metadata.AppendToOutgoingContext(ctx, "ClusterID", *cluster)
	resp, err := pb.NewIstioCertificateServiceClient(conn).CreateCertificate(ctx, &pb.IstioCertificateRequest{
		Csr: string(csrPEM), ValidityDuration: int64(ttl.Seconds()),
	})
	if err != nil {
		printJSON(map[string]any{"error": err.Error()})
		os.Exit(3)
	}
	printJSON(map[string]any{"chain": resp.CertChain})
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: zta-xds xds|csr [flags]")
	}
	switch os.Args[1] {
	case "xds":
		runXDS(os.Args[2:])
	case "csr":
		runCSR(os.Args[2:])
	default:
		fail("unknown command %q (xds|csr)", os.Args[1])
	}
}
