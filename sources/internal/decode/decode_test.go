package decode

import (
	"errors"
	"hash/maphash"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

// recorder is an Adder that keeps copies of the rows it gets.
type recorder struct {
	orders []kpi.Order
	deals  []kpi.Deal
	calls  []kpi.Call
}

func (r *recorder) AddOrder(o *kpi.Order) {
	c := *o
	c.CustomerID, c.Rep, c.Region = clone(o.CustomerID), clone(o.Rep), clone(o.Region)
	r.orders = append(r.orders, c)
}
func (r *recorder) AddCustomer(*kpi.Customer) {}
func (r *recorder) AddLead(*kpi.Lead)         {}
func (r *recorder) AddDeal(d *kpi.Deal) {
	c := *d
	c.Rep, c.CustomerID = clone(d.Rep), clone(d.CustomerID)
	r.deals = append(r.deals, c)
}
func (r *recorder) AddSpend(*kpi.Spend) {}
func (r *recorder) AddCall(c *kpi.Call) {
	x := *c
	x.Rep = clone(c.Rep)
	r.calls = append(r.calls, x)
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte{}, b...)
}

func decodeRows(t *testing.T, table, header string, rows ...string) (*recorder, error) {
	t.Helper()
	tab, err := Bind(sources.SchemaOf(table), table+".csv", strings.Split(header, ","))
	if err != nil {
		return nil, err
	}
	rec := &recorder{}
	loc, _ := time.LoadLocation("Europe/Amsterdam")
	d := New(tab, rec, period.NewDayParser(loc), Format{Decimal: '.'}, maphash.MakeSeed())
	for i, row := range rows {
		var fields [][]byte
		for _, f := range strings.Split(row, ",") {
			fields = append(fields, []byte(f))
		}
		if err := d.Decode(int64(i+2), fields); err != nil {
			return rec, err
		}
	}
	if tab.IDField() >= 0 && len(d.Hashes) != len(rows) {
		t.Errorf("%d hashes for %d rows", len(d.Hashes), len(rows))
	}
	return rec, nil
}

func TestOrders(t *testing.T) {
	day := func(y int, m time.Month, d int) period.Date { return period.FromYMD(y, m, d) }
	rec, err := decodeRows(t, "orders", " kind ,order_id,amount,customer_id,order_date,recurring,rep,x",
		"NEW,O1,1.5,C1,2026-10-01,Yes,ann,?",
		",O2,-2,C2,2026-09-30T22:00:00Z,0,,",
		"Cross_Sell,O3,3,C3,2026-10-01 00:00,,bob,",
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []kpi.Order{
		{CustomerID: []byte("C1"), Day: day(2026, 10, 1), Amount: money.MustParse("1.5"), Recurring: true, Kind: kpi.KindNew, Rep: []byte("ann")},
		{CustomerID: []byte("C2"), Day: day(2026, 10, 1), Amount: money.MustParse("-2")},
		{CustomerID: []byte("C3"), Day: day(2026, 10, 1), Amount: money.MustParse("3"), Kind: kpi.KindCrossSell, Rep: []byte("bob")},
	}
	if diff := cmp.Diff(want, rec.orders); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}

func TestDealsAndCalls(t *testing.T) {
	rec, err := decodeRows(t, "deals", "deal_id,created_date,closed_date,status,value",
		"D1,2026-01-01,,OPEN,0", "D2,2026-01-01,2026-02-01,lost,5")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.deals) != 2 || rec.deals[0].Closed != period.NoDate || rec.deals[0].Status != kpi.DealOpen || rec.deals[1].Status != kpi.DealLost {
		t.Errorf("deals = %+v", rec.deals)
	}
	rec, err = decodeRows(t, "calls", "call_id,call_date,direction", "K1,2026-01-01,", "K1,2026-01-01,Inbound")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 2 || rec.calls[0].Inbound || !rec.calls[1].Inbound {
		t.Errorf("calls = %+v (empty direction is outbound)", rec.calls)
	}
}

func TestBools(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"TRUE", true, true}, {"1", true, true}, {"yes", true, true}, {"Yes", true, true},
		{"false", false, true}, {"False", false, true}, {"0", false, true}, {"no", false, true}, {"NO", false, true},
		{"y", false, false}, {"2", false, false}, {"tru", false, false}, {"yes ", false, false}, {"ja", true, true}, {"JA", true, true}, {"Nee", false, true},
		{"WAAR", true, true}, {"onwaar", false, true}, {"j", false, false}, {"nein", false, false},
	} {
		got, ok := parseBool([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseBool(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBind(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   string
		is     error
	}{
		{"order_id,customer_id,order_date", `sources: missing column "amount" (columns found: "order_id", "customer_id", "order_date")`, sources.ErrMissingColumn},
		{"order_id,customer_id,order_date,amount, amount", `sources: duplicate column "amount" (fields 4 and 5)`, sources.ErrDuplicateColumn},
		{" Order_ID ,customer_id,order_date,Amount,AMOUNT", `sources: duplicate column "amount" (fields 4 and 5)`, sources.ErrDuplicateColumn},
	} {
		_, err := Bind(sources.SchemaOf("orders"), "orders.csv", strings.Split(tt.header, ","))
		if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("Bind(%s) = %v, want %s", tt.header, err, tt.want)
		}
	}
	tab, err := Bind(sources.SchemaOf("orders"), "orders.csv", []string{"amount", "x", "order_date", "customer_id", "order_id"})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Has("cost") || !tab.Has("amount") || tab.IDField() != 4 || tab.Fields() != 5 {
		t.Errorf("bound table = %+v", tab)
	}
}
