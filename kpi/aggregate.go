package kpi

import (
	"cmp"
	"slices"
	"sort"

	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// OrderKind is the kind column of an order.
type OrderKind uint8

// The order kinds of the data contract.
const (
	KindNone OrderKind = iota
	KindNew
	KindRepeat
	KindUpsell
	KindCrossSell
)

// DealStatus is the status column of a deal.
type DealStatus uint8

// The deal statuses of the data contract.
const (
	DealOpen DealStatus = iota + 1
	DealWon
	DealLost
)

// Order is one row of the orders table, as the aggregator needs it. Byte slices are
// only read during the call, so a source may reuse its buffers.
type Order struct {
	CustomerID []byte
	Day        period.Date // local day of order_date
	Amount     money.Amount
	Cost       money.Amount
	Recurring  bool
	Kind       OrderKind
	Rep        []byte
	Region     []byte
}

// Customer is one row of the customers table.
type Customer struct {
	ID       []byte
	Acquired period.Date
	Churned  period.Date // period.NoDate when not churned
	Region   []byte
}

// Lead is one row of the leads table.
type Lead struct {
	Created   period.Date
	Qualified period.Date // period.NoDate when empty
	Converted period.Date // period.NoDate when empty
	Rep       []byte
}

// Deal is one row of the deals table.
type Deal struct {
	Created    period.Date
	Closed     period.Date // period.NoDate when empty
	Status     DealStatus
	Value      money.Amount
	Rep        []byte
	CustomerID []byte
}

// Spend is one row of the spend table.
type Spend struct {
	Day    period.Date
	Amount money.Amount
}

// Call is one row of the calls table.
type Call struct {
	Day     period.Date
	Inbound bool
	Rep     []byte
}

// Aggregator computes the Data of a plan from rows streamed into it, in one pass and in
// memory that does not grow with the number of orders: the days of the plan are cut
// into intervals at every window boundary; additive measures are summed per interval
// and distinct buyers are kept as one bit per (customer, interval).
//
// An Aggregator is not safe for concurrent use. Parallel readers give each goroutine
// its own (NewAggregator of the same plan) and Merge them at the end.
type Aggregator struct {
	plan   *Plan
	cuts   []period.Date // sorted interval boundaries
	first  period.Date   // cuts[0]
	last   period.Date   // cuts[len(cuts)-1]
	index  []uint16      // interval of day first+i
	words  int           // mask words per customer
	dim    period.Range
	has    Availability
	acc    []Measures       // the event measures of each interval
	buyers map[string]int32 // customer_id → row of masks
	masks  []uint64
	// per-buyer revenue in the dimension window of orders without a region, to fall
	// back on the customer's region
	noRegion map[string]*regionless // by customer_id

	customers      []custSpan
	customerRegion map[string]string
	converted      []leadSpan // leads in the span that converted
	reps           map[string]*DimMeasures
	regions        map[string]*DimMeasures
	wonByCustomer  map[string]*DimMeasures // dimension-window won deals with a customer, for regions
	latest         period.Date             // the watermark: the latest row date seen (Data.Latest)
	today          period.Date             // plan.Today, or NoDate: dates after it are in the future
	future         FutureRows              // rows dated after today
}

// FutureRows counts the rows dated after the plan's today, with the latest such date
// and its table as the example (the least table name among equal dates, so the same
// whichever order rows and Merge come in). The aggregator and the SQL sources both
// keep one.
type FutureRows struct {
	Count int64
	Day   period.Date
	Table string
}

// Add adds the rows of o.
func (f *FutureRows) Add(o FutureRows) {
	if o.Count == 0 {
		return
	}
	if f.Count == 0 || o.Day > f.Day || (o.Day == f.Day && o.Table < f.Table) {
		f.Day, f.Table = o.Day, o.Table
	}
	f.Count += o.Count
}

type custSpan struct{ acquired, churned period.Date }

type leadSpan struct{ created, converted period.Date }

type regionless struct {
	revenue    money.Sum
	salesCount int64
}

// NewAggregator returns an empty aggregator for plan.
func NewAggregator(plan *Plan) *Aggregator {
	var cuts []period.Date
	for _, w := range plan.Windows {
		cuts = append(cuts, w.Start, w.End)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	a := &Aggregator{
		plan:           plan,
		cuts:           cuts,
		first:          cuts[0],
		last:           cuts[len(cuts)-1],
		dim:            plan.Dimension,
		acc:            make([]Measures, len(cuts)-1),
		words:          (len(cuts) - 1 + 63) / 64,
		buyers:         make(map[string]int32),
		noRegion:       make(map[string]*regionless),
		customerRegion: make(map[string]string),
		reps:           make(map[string]*DimMeasures),
		regions:        make(map[string]*DimMeasures),
		wonByCustomer:  make(map[string]*DimMeasures),
		latest:         NoRows,
		today:          period.NoDate,
	}
	if plan.Today != 0 {
		a.today = plan.Today
	}
	a.index = make([]uint16, a.last-a.first)
	k := 0
	for d := a.first; d < a.last; d++ {
		for d >= cuts[k+1] {
			k++
		}
		a.index[d-a.first] = uint16(k)
	}
	return a
}

// Plan returns the aggregator's plan.
func (a *Aggregator) Plan() *Plan { return a.plan }

// SetAvailable records which optional data the source has.
func (a *Aggregator) SetAvailable(has Availability) { a.has = has }

// interval returns the interval of day d, or false when d is outside the plan.
func (a *Aggregator) interval(d period.Date) (int, bool) {
	if d < a.first || d >= a.last {
		return 0, false
	}
	return int(a.index[d-a.first]), true
}

// See records d, a date of a row, in the watermark (Data.Latest): the latest
// date of any date column of any table that is not after the plan's today. The Add
// methods call it for each date of the row. An empty date (period.NoDate) is no
// date. It returns the date if it is in the future (after today), else NoDate.
func (a *Aggregator) See(d period.Date) period.Date {
	if d == period.NoDate {
		return period.NoDate
	}
	if d > a.today {
		return d
	}
	if d > a.latest {
		a.latest = d
	}
	return period.NoDate
}

// seeFuture counts one row of table whose latest date in the future is f (NoDate: none).
func (a *Aggregator) seeFuture(table string, f period.Date) {
	if f != period.NoDate {
		a.future.Add(FutureRows{Count: 1, Day: f, Table: table})
	}
}

// later returns the later of two results of See (NoDate: not in the future).
func later(a, b period.Date) period.Date {
	if a == period.NoDate {
		return b
	}
	if b == period.NoDate {
		return a
	}
	return max(a, b)
}

// AddOrder adds one order.
func (a *Aggregator) AddOrder(o *Order) {
	if a.See(o.Day) != period.NoDate {
		a.seeFuture("orders", o.Day)
	}
	k, ok := a.interval(o.Day)
	if !ok {
		return
	}
	acc := &a.acc[k]
	acc.Revenue.Add(o.Amount)
	acc.Cost.Add(o.Cost)
	if o.Recurring {
		acc.RecurringRevenue.Add(o.Amount)
	}
	if o.Kind == KindUpsell || o.Kind == KindCrossSell {
		acc.ExpansionRevenue.Add(o.Amount)
	}
	if a.dim.Contains(o.Day) {
		a.addOrderDims(o)
	}
	if o.Amount <= 0 {
		return
	}
	acc.GrossSales.Add(o.Amount)
	acc.SalesCount++
	row, ok := a.buyers[string(o.CustomerID)]
	if !ok {
		row = int32(len(a.buyers))
		a.buyers[string(o.CustomerID)] = row
		a.masks = append(a.masks, make([]uint64, a.words)...)
	}
	a.masks[int(row)*a.words+k/64] |= 1 << (k % 64)
}

// addOrderDims adds an order of the dimension window to its rep and region. An order
// without a region counts for its customer's region.
func (a *Aggregator) addOrderDims(o *Order) {
	sale := int64(0)
	if o.Amount > 0 {
		sale = 1
	}
	dm := dimOf(a.reps, o.Rep)
	dm.Revenue.Add(o.Amount)
	dm.SalesCount += sale
	if len(o.Region) > 0 {
		dm := dimOf(a.regions, o.Region)
		dm.Revenue.Add(o.Amount)
		dm.SalesCount += sale
		return
	}
	r := a.noRegion[string(o.CustomerID)]
	if r == nil {
		r = &regionless{}
		a.noRegion[string(o.CustomerID)] = r
	}
	r.revenue.Add(o.Amount)
	r.salesCount += sale
}

func dimOf(m map[string]*DimMeasures, name []byte) *DimMeasures {
	dm := m[string(name)]
	if dm == nil {
		dm = &DimMeasures{Name: string(name)}
		m[dm.Name] = dm
	}
	return dm
}

// AddCustomer adds one customer.
func (a *Aggregator) AddCustomer(c *Customer) {
	a.seeFuture("customers", later(a.See(c.Acquired), a.See(c.Churned)))
	a.customers = append(a.customers, custSpan{acquired: c.Acquired, churned: c.Churned})
	if k, ok := a.interval(c.Acquired); ok {
		a.acc[k].NewCustomers++
	}
	if len(c.Region) > 0 {
		a.customerRegion[string(c.ID)] = string(c.Region)
	}
}

// AddLead adds one lead.
func (a *Aggregator) AddLead(l *Lead) {
	a.seeFuture("leads", later(later(a.See(l.Created), a.See(l.Qualified)), a.See(l.Converted)))
	if k, ok := a.interval(l.Created); ok {
		a.acc[k].LeadsCreated++
		if l.Converted != period.NoDate {
			a.converted = append(a.converted, leadSpan{created: l.Created, converted: l.Converted})
		}
	}
	if k, ok := a.interval(l.Qualified); ok {
		a.acc[k].QualifiedLeads++
	}
	if a.dim.Contains(l.Created) {
		dm := dimOf(a.reps, l.Rep)
		dm.LeadsCreated++
		if l.Converted < a.dim.End {
			dm.LeadsConverted++
		}
	}
	if a.dim.Contains(l.Qualified) {
		dimOf(a.reps, l.Rep).QualifiedLeads++
	}
}

// AddDeal adds one deal.
func (a *Aggregator) AddDeal(d *Deal) {
	a.seeFuture("deals", later(a.See(d.Created), a.See(d.Closed)))
	if d.Status != DealWon {
		return
	}
	cycle := int64(d.Closed - d.Created)
	if k, ok := a.interval(d.Closed); ok {
		acc := &a.acc[k]
		acc.WonDeals++
		acc.WonValue.Add(d.Value)
		acc.CycleDays += cycle
	}
	if a.dim.Contains(d.Closed) {
		for _, dm := range []*DimMeasures{dimOf(a.reps, d.Rep), dimOf(a.wonByCustomer, d.CustomerID)} {
			dm.WonDeals++
			dm.WonValue.Add(d.Value)
			dm.CycleDays += cycle
		}
	}
}

// AddSpend adds one spend row.
func (a *Aggregator) AddSpend(s *Spend) {
	if a.See(s.Day) != period.NoDate {
		a.seeFuture("spend", s.Day)
	}
	if k, ok := a.interval(s.Day); ok {
		a.acc[k].Spend.Add(s.Amount)
	}
}

// AddCall adds one call.
func (a *Aggregator) AddCall(c *Call) {
	if a.See(c.Day) != period.NoDate {
		a.seeFuture("calls", c.Day)
	}
	if c.Inbound {
		return
	}
	if k, ok := a.interval(c.Day); ok {
		a.acc[k].SalesCalls++
	}
	if a.dim.Contains(c.Day) {
		dimOf(a.reps, c.Rep).SalesCalls++
	}
}

// Merge adds everything b has seen to a. Both must have been made for the same plan.
func (a *Aggregator) Merge(b *Aggregator) {
	a.See(b.latest)
	a.future.Add(b.future)
	for k := range a.acc {
		a.acc[k].AddEvents(&b.acc[k])
	}
	for id, brow := range b.buyers {
		row, ok := a.buyers[id]
		if !ok {
			row = int32(len(a.buyers))
			a.buyers[id] = row
			a.masks = append(a.masks, make([]uint64, a.words)...)
		}
		for w := 0; w < a.words; w++ {
			a.masks[int(row)*a.words+w] |= b.masks[int(brow)*b.words+w]
		}
	}
	for id, r := range b.noRegion {
		x := a.noRegion[id]
		if x == nil {
			x = &regionless{}
			a.noRegion[id] = x
		}
		x.revenue.AddSum(r.revenue)
		x.salesCount += r.salesCount
	}
	a.customers = append(a.customers, b.customers...)
	for id, r := range b.customerRegion {
		a.customerRegion[id] = r
	}
	a.converted = append(a.converted, b.converted...)
	mergeDims(a.reps, b.reps)
	mergeDims(a.regions, b.regions)
	mergeDims(a.wonByCustomer, b.wonByCustomer)
}

func mergeDims(dst, src map[string]*DimMeasures) {
	for name, s := range src {
		d := dimOf(dst, []byte(name))
		d.add(s)
	}
}

func (d *DimMeasures) add(s *DimMeasures) {
	d.Revenue.AddSum(s.Revenue)
	d.SalesCount += s.SalesCount
	d.WonDeals += s.WonDeals
	d.WonValue.AddSum(s.WonValue)
	d.CycleDays += s.CycleDays
	d.SalesCalls += s.SalesCalls
	d.QualifiedLeads += s.QualifiedLeads
	d.LeadsCreated += s.LeadsCreated
	d.LeadsConverted += s.LeadsConverted
}

// Data computes the measures of every window of the plan.
func (a *Aggregator) Data() *Data {
	data := &Data{Windows: make(map[period.Range]*Measures, len(a.plan.Windows)), Has: a.has, Latest: a.latest}
	if a.future.Count > 0 {
		data.Warnings = append(data.Warnings, FutureWarning(a.future.Count, a.future.Table, a.future.Day))
	}
	want := make([]uint64, a.words)
	for _, w := range a.plan.Windows {
		i := sort.Search(len(a.cuts), func(i int) bool { return a.cuts[i] >= w.Start })
		j := sort.Search(len(a.cuts), func(i int) bool { return a.cuts[i] >= w.End })
		m := &Measures{}
		for k := i; k < j; k++ {
			m.AddEvents(&a.acc[k])
		}
		clear(want)
		for k := i; k < j; k++ {
			want[k/64] |= 1 << (k % 64)
		}
		for row := 0; row < len(a.buyers); row++ {
			for x, bitsWanted := range want {
				if a.masks[row*a.words+x]&bitsWanted != 0 {
					m.Buyers++
					break
				}
			}
		}
		for _, c := range a.customers {
			if c.acquired < w.Start && c.churned >= w.Start {
				m.CustomersStart++
				if c.churned < w.End {
					m.CustomersLost++
				}
			}
			if c.acquired < w.End && c.churned >= w.End {
				m.CustomersEnd++
			}
		}
		for _, l := range a.converted {
			if w.Contains(l.created) && l.converted < w.End {
				m.LeadsConverted++
			}
		}
		data.Windows[w] = m
	}
	regions := make(map[string]*DimMeasures, len(a.regions))
	mergeDims(regions, a.regions)
	for id, r := range a.noRegion {
		dm := dimOf(regions, []byte(a.customerRegion[id]))
		dm.Revenue.AddSum(r.revenue)
		dm.SalesCount += r.salesCount
	}
	for id, won := range a.wonByCustomer {
		dm := dimOf(regions, []byte(a.customerRegion[id]))
		dm.WonDeals += won.WonDeals
		dm.WonValue.AddSum(won.WonValue)
		dm.CycleDays += won.CycleDays
	}
	data.ByRep = sortedDims(a.reps)
	data.ByRegion = sortedDims(regions)
	return data
}

func sortedDims(m map[string]*DimMeasures) []DimMeasures {
	out := make([]DimMeasures, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(x, y DimMeasures) int { return cmp.Compare(x.Name, y.Name) })
	return out
}
