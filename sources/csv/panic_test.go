package csv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kpireport/kpireport/internal/panics"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
	"github.com/kpireport/kpireport/sources/internal/decode"
)

// panicSink panics on the record of line.
type panicSink struct{ line int64 }

func (s *panicSink) begin(int) {}
func (s *panicSink) record(line int64, _ [][]byte) error {
	if line == s.line {
		var fields []string
		_ = fields[line] // index out of range
	}
	return nil
}
func (s *panicSink) end()    {}
func (s *panicSink) finish() {}

// A panic in a parse worker, a goroutine of its own, cannot be recovered by the
// caller of Load: parallel returns it as the error instead, and stops.
func TestParallelRecoversWorkerPanic(t *testing.T) {
	var text strings.Builder
	text.WriteString("customer_id,acquired_date\n")
	for i := range 5000 {
		fmt.Fprintf(&text, "C%06d,2024-01-01\n", i)
	}
	r := newReader(strings.NewReader(text.String()), 4096, 1<<20, 5)
	names, err := r.header(newSplitter(','))
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := decode.Bind(&sources.Schema[1], "customers.csv", names)
	if err != nil {
		t.Fatal(err)
	}
	sinks := []sink{&panicSink{line: 3000}, &panicSink{line: 3000}}
	err = parallel(context.Background(), r, tbl, ',', sinks, nil)
	var p *panics.Error
	if !errors.As(err, &p) || !strings.Contains(err.Error(), "panic: runtime error: index out of range [3000]") {
		t.Fatalf("parallel = %v, want the worker's panic as an error", err)
	}
}

// A panic in an aggregator's goroutine of the router is returned by close, and the
// router goes on draining its batches so that no parse worker blocks.
func TestRouterRecoversAggregatorPanic(t *testing.T) {
	aggs := []*kpi.Aggregator{nil, nil} // AddOrder on nil panics
	span := period.Range{Start: period.Date(0), End: period.Date(1 << 30)}
	rt := newRouter(aggs, span, 1)
	out := rt.outbox(nil)
	for i := range 3 * batchOrders {
		out.AddOrder(&kpi.Order{CustomerID: []byte{byte(i), byte(i >> 8)}, Day: period.Date(100)})
	}
	out.flush()
	err := rt.close()
	var p *panics.Error
	if !errors.As(err, &p) {
		t.Fatalf("close = %v, want the aggregator's panic", err)
	}
}
