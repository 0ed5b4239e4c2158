// zta-promql reads PromQL with Prometheus's own parser (built from the same module as the toolchain's prometheus
// and promtool), so the project's tests can ask what an expression reads instead of guessing with regular
// expressions.
//
// Usage: zta-promql < input.json > output.json
//
//	input:  {"exprs": ["sum(rate(x[5m]))", ...], "selectors": ["{__name__=~\"istio_.*\"}", ...]}
//	output: {"exprs": [{"expr": ..., "error": ..., "selectors": [{"metric": ..., "matchers": [...]}]}],
//	         "selectors": [{"selector": ..., "error": ..., "matchers": [...]}]}
//
// A vector selector's matchers include its metric name as `__name__`. Exit status 0 even when an expression does
// not parse (the error is in the output); 1 only when the input cannot be read.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type matcher struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

type selector struct {
	Metric   string    `json:"metric"`
	Matchers []matcher `json:"matchers"`
}

type exprResult struct {
	Expr      string     `json:"expr"`
	Error     string     `json:"error,omitempty"`
	Selectors []selector `json:"selectors"`
}

type selectorResult struct {
	Selector string    `json:"selector"`
	Error    string    `json:"error,omitempty"`
	Matchers []matcher `json:"matchers"`
}

type input struct {
	Exprs     []string `json:"exprs"`
	Selectors []string `json:"selectors"`
}

type output struct {
	Exprs     []exprResult     `json:"exprs"`
	Selectors []selectorResult `json:"selectors"`
}

func convert(ms []*labels.Matcher) []matcher {
	out := make([]matcher, 0, len(ms))
	for _, m := range ms {
		out = append(out, matcher{Name: m.Name, Type: m.Type.String(), Value: m.Value})
	}
	return out
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintf(os.Stderr, "zta-promql: cannot read the input: %v\n", err)
		os.Exit(1)
	}
	out := output{Exprs: []exprResult{}, Selectors: []selectorResult{}}
	for _, e := range in.Exprs {
		r := exprResult{Expr: e, Selectors: []selector{}}
		expr, err := parser.ParseExpr(e)
		if err != nil {
			r.Error = err.Error()
		} else {
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok {
					r.Selectors = append(r.Selectors, selector{Metric: vs.Name, Matchers: convert(vs.LabelMatchers)})
				}
				return nil
			})
		}
		out.Exprs = append(out.Exprs, r)
	}
	for _, s := range in.Selectors {
		r := selectorResult{Selector: s, Matchers: []matcher{}}
		ms, err := parser.ParseMetricSelector(s)
		if err != nil {
			r.Error = err.Error()
		} else {
			r.Matchers = convert(ms)
		}
		out.Selectors = append(out.Selectors, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "zta-promql: %v\n", err)
		os.Exit(1)
	}
}
