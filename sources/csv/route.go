package csv

import (
	"hash/maphash"
	"sync"

	"github.com/kpireport/kpireport/internal/panics"
	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources/internal/decode"
)

// router hands the orders that the parse workers decode to one aggregator per
// partition of the customers, each run by a goroutine of its own. An aggregator keeps
// state per customer; with the customers split between them, each holds a part and
// the parts together fit in the CPU caches, where one full copy per worker would
// not: with millions of orders, this per-customer lookup is most of the work.
type router struct {
	aggs  []*kpi.Aggregator
	parts []chan *orderBatch
	free  chan *orderBatch
	span  period.Range // orders outside it count for nothing
	seed  maphash.Seed
	wg    sync.WaitGroup

	mu  sync.Mutex
	err error // the first panic of an aggregator's goroutine
}

// Batch sizes: orders per batch, and bytes of their text per order on average.
const (
	batchOrders = 2048
	batchText   = 48
)

// orderBatch is orders on their way to an aggregator. Their byte slices point into
// text, which is allocated with room for all of them, so it never moves.
type orderBatch struct {
	orders []kpi.Order
	text   []byte
}

// newRouter starts one goroutine per aggregator.
func newRouter(aggs []*kpi.Aggregator, span period.Range, outboxes int) *router {
	r := &router{
		aggs:  aggs,
		parts: make([]chan *orderBatch, len(aggs)),
		free:  make(chan *orderBatch, len(aggs)*(outboxes+6)),
		span:  span,
		seed:  maphash.MakeSeed(),
	}
	for p, agg := range aggs {
		ch := make(chan *orderBatch, 4)
		r.parts[p] = ch
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for b := range ch {
				r.add(agg, b)
				r.put(b)
			}
		}()
	}
	return r
}

func (r *router) get() *orderBatch {
	select {
	case b := <-r.free:
		return b
	default:
		return &orderBatch{orders: make([]kpi.Order, 0, batchOrders), text: make([]byte, 0, batchOrders*batchText)}
	}
}

func (r *router) put(b *orderBatch) {
	b.orders, b.text = b.orders[:0], b.text[:0]
	select {
	case r.free <- b:
	default:
	}
}

// add adds the orders of b to agg. After a panic of an aggregator (an error that
// close returns) the router only drains its batches, so that no parse worker blocks.
func (r *router) add(agg *kpi.Aggregator, b *orderBatch) {
	defer func() {
		if v := recover(); v != nil {
			r.mu.Lock()
			if r.err == nil {
				r.err = panics.New(v)
			}
			r.mu.Unlock()
		}
	}()
	r.mu.Lock()
	failed := r.err != nil
	r.mu.Unlock()
	if failed {
		return
	}
	for i := range b.orders {
		agg.AddOrder(&b.orders[i])
	}
}

// close waits until every batch sent has been added, and returns the panic of an
// aggregator, if one panicked. All outboxes must be flushed.
func (r *router) close() error {
	for _, ch := range r.parts {
		close(ch)
	}
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// outbox is a parse worker's way into a router: a decode.Adder whose AddOrder
// batches the order for its customer's partition. One per worker.
type outbox struct {
	decode.Adder // the other tables are not routed
	r            *router
	batches      []*orderBatch
	// seen gets the orders outside the span: only their dates count, for the
	// watermark and the rows dated in the future. nil: they are dropped.
	seen *kpi.Aggregator
}

func (r *router) outbox(other decode.Adder) *outbox {
	return &outbox{Adder: other, r: r, batches: make([]*orderBatch, len(r.parts))}
}

// AddOrder copies o into the batch of its customer's partition.
func (o *outbox) AddOrder(x *kpi.Order) {
	if !o.r.span.Contains(x.Day) {
		if o.seen != nil {
			o.seen.AddOrder(x)
		}
		return
	}
	p := int(maphash.Bytes(o.r.seed, x.CustomerID) % uint64(len(o.batches)))
	b := o.batches[p]
	need := len(x.CustomerID) + len(x.Rep) + len(x.Region)
	if b == nil || len(b.orders) == cap(b.orders) || cap(b.text)-len(b.text) < need {
		if b != nil {
			o.r.parts[p] <- b
		}
		b = o.r.get()
		if cap(b.text) < need {
			b.text = make([]byte, 0, need)
		}
		o.batches[p] = b
	}
	b.orders = append(b.orders, *x)
	y := &b.orders[len(b.orders)-1]
	y.CustomerID = b.appendText(x.CustomerID)
	y.Rep = b.appendText(x.Rep)
	y.Region = b.appendText(x.Region)
}

// appendText copies s into b's text and returns the copy.
func (b *orderBatch) appendText(s []byte) []byte {
	n := len(b.text)
	b.text = append(b.text, s...)
	return b.text[n:len(b.text):len(b.text)]
}

// flush sends what the outbox holds.
func (o *outbox) flush() {
	for p, b := range o.batches {
		if b != nil && len(b.orders) > 0 {
			o.r.parts[p] <- b
		}
		o.batches[p] = nil
	}
}
