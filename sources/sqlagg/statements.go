package sqlagg

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
	"github.com/kpireport/kpireport/sources"
)

// result gathers what the statements return.
type result struct {
	acc       []kpi.Measures // the event measures of each interval
	buyers    []int64        // by window of the plan
	customers []posCount     // customers by (acquired, churned) position
	converted []posCount     // leads by (created, converted) position
	reps      map[string]*kpi.DimMeasures
	regions   map[string]*kpi.DimMeasures
	bad       int64          // rows of the current table that break the data contract
	latest    period.Date    // the watermark (kpi.Data.Latest)
	future    kpi.FutureRows // rows dated after the plan's today
	orphans   int64          // orders whose customer_id is not in customers
	orphan    string         // the least order_id of them
}

// posCount is the number of rows whose two dates have positions a and b; b is n+1 for
// a date that is not set.
type posCount struct{ a, b, n int64 }

func (g *gen) newResult() *result {
	return &result{
		acc:     make([]kpi.Measures, g.n()-1),
		buyers:  make([]int64, len(g.plan.Windows)),
		reps:    make(map[string]*kpi.DimMeasures),
		regions: make(map[string]*kpi.DimMeasures),
		latest:  kpi.NoRows,
	}
}

// addBad adds the count of rows that break the data contract (NULL: none).
func (r *result) addBad(v sql.NullString) error {
	n, err := parseCount(v)
	r.bad += n
	return err
}

// interval returns the interval of position text v, or false when it is outside the
// plan's span or NULL.
func (g *gen) interval(v sql.NullString) (int, bool, error) {
	if !v.Valid {
		return 0, false, nil
	}
	p, err := strconv.Atoi(v.String)
	if err != nil {
		return 0, false, fmt.Errorf("%w: position %q", ErrResult, v.String)
	}
	return p - 1, p >= 1 && p <= g.n()-1, nil
}

func dimOf(m map[string]*kpi.DimMeasures, name string) *kpi.DimMeasures {
	d := m[name]
	if d == nil {
		d = &kpi.DimMeasures{Name: name}
		m[name] = d
	}
	return d
}

// statements returns the statements that compute t's measures into r. ts holds every
// table (the customers for the regions of orders and deals).
func (g *gen) statements(t *table, ts map[string]*table, r *result) []*statement {
	return append(g.measures(t, ts, r), g.latest(t, r))
}

// latest finds the local day of the table's latest date (the watermark): MAX over
// each of its date columns that the table has (orders.order_date, customers'
// acquired_date and churned_date, …, as the aggregator's See), which an index on
// the column answers at once; the local day of the latest instant is the latest
// local day. Empty dates (NULL) do not count.
func (g *gen) latest(t *table, r *result) *statement {
	p := g.params()
	var cols, exprs, future []string
	for _, c := range t.def.Columns {
		if c.Type != sources.Date || !t.has(c.Name) {
			continue
		}
		cols = append(cols, c.Name)
		x := g.col("t", c.Name)
		if g.plan.Today == 0 {
			exprs = append(exprs, g.text(g.d.DayNumber("MAX("+x+")", t.cols[c.Name].class, p))+" AS latest_"+c.Name)
			continue
		}
		// Dates after the run's today (before the next midnight: not in the future) are
		// not the watermark; they are counted and the latest of them is the example.
		now := g.d.Before(x, t.cols[c.Name].class, g.plan.Today+1, p)
		exprs = append(exprs, g.text(g.d.DayNumber("MAX(CASE WHEN "+now+" THEN "+x+" END)", t.cols[c.Name].class, p))+" AS latest_"+c.Name)
		exprs = append(exprs, g.text(g.d.DayNumber("MAX(CASE WHEN NOT ("+now+") THEN "+x+" END)", t.cols[c.Name].class, p))+" AS future_"+c.Name)
		future = append(future, "NOT ("+now+")")
	}
	if len(future) > 0 {
		exprs = append(exprs, g.text("SUM(CASE WHEN "+strings.Join(future, " OR ")+" THEN 1 ELSE 0 END)")+" AS future_rows")
	}
	q := selectList(exprs...) + "\nFROM " + t.from + " AS t"
	table := t.def.Name
	return g.stmt(p, table, "the latest "+strings.Join(cols, ", ")+" (the watermark)", q, len(exprs), func(v []sql.NullString) error {
		day := func(d sql.NullString) (period.Date, bool, error) {
			if !d.Valid {
				return 0, false, nil // no rows, or no date in the column
			}
			n, err := parseCount(d)
			if err != nil {
				return 0, false, fmt.Errorf("%w: day number %q", ErrResult, d.String)
			}
			return period.Date(n), true, nil
		}
		step := 1
		if len(future) > 0 {
			step = 2
		}
		var f kpi.FutureRows
		for i := 0; i < len(cols)*step; i += step {
			d, ok, err := day(v[i])
			if err != nil {
				return err
			}
			if ok {
				r.latest = max(r.latest, d)
			}
			if step == 1 {
				continue
			}
			d, ok, err = day(v[i+1])
			if err != nil {
				return err
			}
			if ok && (f.Table == "" || d > f.Day) {
				f.Day, f.Table = d, table
			}
		}
		if len(future) > 0 && v[len(v)-1].Valid {
			n, err := parseCount(v[len(v)-1])
			if err != nil {
				return err
			}
			if n > 0 {
				f.Count = n
				r.future.Add(f)
			}
		}
		return nil
	})
}

// measures returns the statements that compute t's measures into r.
func (g *gen) measures(t *table, ts map[string]*table, r *result) []*statement {
	switch t.def.Name {
	case "orders":
		return []*statement{g.ordersIntervals(t, r), g.ordersBuyers(t, r), g.ordersWithoutRegion(t, ts["customers"], r), g.orphans(t, ts["customers"], r)}
	case "customers":
		return []*statement{g.customers(t, r)}
	case "leads":
		return []*statement{g.leads(t, r)}
	case "deals":
		return []*statement{g.deals(t, ts["customers"], r)}
	case "spend":
		return []*statement{g.spend(t, r)}
	case "calls":
		return []*statement{g.calls(t, r)}
	}
	return nil
}

// ordersIntervals sums orders per interval and, in the dimension window, per rep and
// region; it counts the rows that break the contract.
func (g *gen) ordersIntervals(t *table, r *result) *statement {
	p := g.params()
	amount := g.col("t", "amount")
	region := "NULL"
	if t.has("region") {
		region = "NULLIF(" + g.key(g.col("t", "region")) + ", '')"
	}
	cost, recurring, expansion := "0", "0", "0"
	if t.has("cost") {
		cost = "SUM(" + g.col("t", "cost") + ")"
	}
	if t.has("recurring") {
		recurring = "SUM(CASE WHEN " + g.isTrue(t, "recurring") + " THEN " + amount + " ELSE 0 END)"
	}
	if t.has("kind") {
		expansion = "SUM(CASE WHEN " + g.enumIn(g.col("t", "kind"), t.def.Column("kind").Values, []string{"upsell", "cross_sell"}) + " THEN " + amount + " ELSE 0 END)"
	}
	q := selectList(
		"iv.k AS pos",
		"CASE WHEN iv.d = 1 THEN "+g.orEmpty(t, "t", "rep")+" END AS rep",
		"CASE WHEN iv.d = 1 THEN "+region+" END AS region",
		g.text("SUM("+amount+")")+" AS revenue",
		g.text("SUM(CASE WHEN "+amount+" > 0 THEN "+amount+" ELSE 0 END)")+" AS gross_sales",
		g.text("SUM(CASE WHEN "+amount+" > 0 THEN 1 ELSE 0 END)")+" AS sales_count",
		g.text(cost)+" AS cost",
		g.text(recurring)+" AS recurring_revenue",
		g.text(expansion)+" AS expansion_revenue",
		g.badCount(g.checks(t))+" AS bad_rows",
	) + "\nFROM " + t.from + " AS t" + g.joinPositions(p, t, "t", "order_date") + "\nGROUP BY 1, 2, 3"
	return g.stmt(p, "orders", "sums per interval, and per rep and region in the report's period", q, 10, func(v []sql.NullString) error {
		if err := r.addBad(v[9]); err != nil {
			return err
		}
		var s [5]money.Sum
		for i, col := range []int{3, 4, 6, 7, 8} {
			var err error
			if s[i], err = parseSum(v[col]); err != nil {
				return err
			}
		}
		revenue, gross, cost, recurring, expansion := s[0], s[1], s[2], s[3], s[4]
		sales, err := parseCount(v[5])
		if err != nil {
			return err
		}
		k, ok, err := g.interval(v[0])
		if err != nil || !ok {
			return err
		}
		a := &r.acc[k]
		a.Revenue.AddSum(revenue)
		a.GrossSales.AddSum(gross)
		a.SalesCount += sales
		a.Cost.AddSum(cost)
		a.RecurringRevenue.AddSum(recurring)
		a.ExpansionRevenue.AddSum(expansion)
		if v[1].Valid {
			d := dimOf(r.reps, v[1].String)
			d.Revenue.AddSum(revenue)
			d.SalesCount += sales
		}
		if v[2].Valid {
			d := dimOf(r.regions, v[2].String)
			d.Revenue.AddSum(revenue)
			d.SalesCount += sales
		}
		return nil
	})
}

// isTrue returns the condition "bool column name is true"; an empty value is false.
func (g *gen) isTrue(t *table, name string) string {
	x := g.col("t", name)
	switch t.cols[name].class {
	case ClassBool:
		return "(" + x + " = TRUE)"
	case ClassInteger:
		return "(" + x + " = 1)"
	}
	return "(" + g.enumIn(x, boolValues, []string{"true", "1", "yes"}) + ")"
}

// ordersBuyers makes one row per customer who bought (amount > 0) in the plan's span:
// a bitmask of the intervals in which it bought. Testing the masks against each
// window's mask counts the distinct buyers of every window in one row.
func (g *gen) ordersBuyers(t *table, r *result) *statement {
	p := g.params()
	inner := []string{g.key(g.col("t", "customer_id")) + " AS customer_id"}
	for w := range g.words {
		inner = append(inner, "BIT_OR("+g.bits(p, t, "t", "order_date", w)+") AS m"+strconv.Itoa(w))
	}
	var buyers []string
	for i := range g.plan.Windows {
		var tests []string
		for w := range g.words {
			if m := g.windowMask(i, w); m != 0 {
				tests = append(tests, "(b.m"+strconv.Itoa(w)+" & "+strconv.FormatInt(m, 10)+") <> 0")
			}
		}
		buyers = append(buyers, g.text("SUM(CASE WHEN "+strings.Join(tests, " OR ")+" THEN 1 ELSE 0 END)")+" AS w"+strconv.Itoa(i))
	}
	q := "WITH b AS (\n" + selectList(inner...) +
		"\nFROM " + t.from + " AS t\nWHERE " + g.within(p, t, "t", "order_date", 0, g.n()-1) + " AND " + g.col("t", "amount") + " > 0" +
		"\nGROUP BY 1\n)\n" + selectList(buyers...) + "\nFROM b"
	return g.stmt(p, "orders", "distinct buyers per window (a bitmask of intervals per customer)", q, len(g.plan.Windows), func(v []sql.NullString) error {
		for i := range r.buyers {
			n, err := parseCount(v[i])
			if err != nil {
				return err
			}
			r.buyers[i] = n
		}
		return nil
	})
}

// ordersWithoutRegion sums the orders in the dimension window that have no region by
// the region of their customer.
func (g *gen) ordersWithoutRegion(t, customers *table, r *result) *statement {
	p := g.params()
	amount := g.col("t", "amount")
	where := g.within(p, t, "t", "order_date", g.dimLo, g.dimHi)
	if t.has("region") {
		where += " AND " + g.empty(t, "t", "region")
	}
	region, join := "''", ""
	if customers.has("region") {
		region = "COALESCE(c.region, '')"
		join = "\nLEFT JOIN " + g.regions(customers) + " AS c ON c.customer_id = " + g.key(g.col("t", "customer_id"))
	}
	q := selectList(region+" AS region", g.text("SUM("+amount+")")+" AS revenue",
		g.text("SUM(CASE WHEN "+amount+" > 0 THEN 1 ELSE 0 END)")+" AS sales_count") +
		"\nFROM " + t.from + " AS t" + join + "\nWHERE " + where + "\nGROUP BY 1"
	return g.stmt(p, "orders", "orders without a region in the report's period, by the region of their customer", q, 3, func(v []sql.NullString) error {
		revenue, err := parseSum(v[1])
		if err != nil {
			return err
		}
		sales, err := parseCount(v[2])
		if err != nil {
			return err
		}
		d := dimOf(r.regions, v[0].String)
		d.Revenue.AddSum(revenue)
		d.SalesCount += sales
		return nil
	})
}

// orphans counts the orders whose customer_id is not in customers and finds the
// least order_id among them, with an anti-join on a derived table of the customers'
// ids, which engines materialize with an index (as for regions).
func (g *gen) orphans(t, customers *table, r *result) *statement {
	p := g.params()
	ids := "(" + selectList(g.key(g.col("c", "customer_id"))+" AS customer_id") + "\nFROM " + customers.from + " AS c\nGROUP BY 1)"
	q := selectList(g.text("COUNT(*)")+" AS orphans", g.text("MIN("+g.key(g.col("t", "order_id"))+")")+" AS example") +
		"\nFROM " + t.from + " AS t\nLEFT JOIN " + ids + " AS c ON c.customer_id = " + g.key(g.col("t", "customer_id")) +
		"\nWHERE c.customer_id IS NULL AND t." + g.d.Quote("customer_id") + " IS NOT NULL"
	return g.stmt(p, "orders", "orders whose customer_id is not in customers", q, 2, func(v []sql.NullString) error {
		n, err := parseCount(v[0])
		if err != nil {
			return err
		}
		r.orphans, r.orphan = n, v[1].String
		return nil
	})
}

// regions returns a derived table of the customers' regions by customer_id (keys),
// for the region of an order or deal. It is grouped so that engines materialize it
// with an index on the key (MariaDB) instead of comparing every pair of rows.
func (g *gen) regions(customers *table) string {
	return "(" + selectList(g.key(g.col("c", "customer_id"))+" AS customer_id", "MAX("+g.key(g.col("c", "region"))+") AS region") +
		"\nFROM " + customers.from + " AS c\nGROUP BY 1)"
}

// customers counts customers by the positions of their acquired and churned dates,
// from which the counts of every window follow.
func (g *gen) customers(t *table, r *result) *statement {
	p := g.params()
	never := strconv.Itoa(g.n() + 1)
	q := selectList(
		g.pos(p, t, "t", "acquired_date", "NULL")+" AS acquired",
		g.pos(p, t, "t", "churned_date", never)+" AS churned",
		g.text("COUNT(*)")+" AS customers",
		g.badCount(g.checks(t))+" AS bad_rows",
	) + "\nFROM " + t.from + " AS t\nGROUP BY 1, 2"
	return g.stmt(p, "customers", "customers by the intervals of their acquired and churned dates", q, 4, func(v []sql.NullString) error {
		if err := r.addBad(v[3]); err != nil {
			return err
		}
		c, err := parsePositions(v[0], v[1], v[2])
		if err != nil {
			return err
		}
		if !v[0].Valid {
			return nil
		}
		r.customers = append(r.customers, c)
		if k, ok, _ := g.interval(v[0]); ok {
			r.acc[k].NewCustomers += c.n
		}
		return nil
	})
}

// leads counts leads by the positions of their created and converted dates, qualified
// leads per interval, and per rep in the dimension window.
func (g *gen) leads(t *table, r *result) *statement {
	p := g.params()
	never := strconv.Itoa(g.n() + 1)
	created := g.within(p, t, "t", "created_date", g.dimLo, g.dimHi)
	converted, qualified := "1 = 0", "1 = 0"
	if t.has("converted_date") {
		converted = g.before(p, t, "t", "converted_date", g.dimHi)
	}
	if t.has("qualified_date") {
		qualified = g.within(p, t, "t", "qualified_date", g.dimLo, g.dimHi)
	}
	selects := []string{
		selectList("1 AS part",
			g.pos(p, t, "t", "created_date", "NULL")+" AS a",
			g.pos(p, t, "t", "converted_date", never)+" AS b",
			g.text("NULL")+" AS rep",
			g.text("COUNT(*)")+" AS n1", g.text("NULL")+" AS n2", g.text("NULL")+" AS n3",
			g.badCount(g.checks(t))+" AS bad_rows") +
			"\nFROM " + t.from + " AS t\nGROUP BY 2, 3",
	}
	if t.has("qualified_date") {
		selects = append(selects, selectList(g.pad(8, "2", g.pos(p, t, "t", "qualified_date", "NULL"), "NULL", g.text("NULL"), g.text("COUNT(*)"))...)+
			"\nFROM "+t.from+" AS t\nWHERE "+g.within(p, t, "t", "qualified_date", 0, g.n()-1)+"\nGROUP BY 2")
	}
	selects = append(selects, selectList(g.pad(8, "3", "NULL", "NULL", g.orEmpty(t, "t", "rep"),
		g.text("SUM(CASE WHEN "+created+" THEN 1 ELSE 0 END)"),
		g.text("SUM(CASE WHEN "+created+" AND "+converted+" THEN 1 ELSE 0 END)"),
		g.text("SUM(CASE WHEN "+qualified+" THEN 1 ELSE 0 END)"))...)+
		"\nFROM "+t.from+" AS t\nWHERE "+created+" OR "+qualified+"\nGROUP BY 4")
	return g.stmt(p, "leads", "leads by the intervals of their created and converted dates, qualified leads per interval, and per rep in the report's period", union(selects...), 8, func(v []sql.NullString) error {
		switch v[0].String {
		case "1":
			if err := r.addBad(v[7]); err != nil {
				return err
			}
			l, err := parsePositions(v[1], v[2], v[4])
			if err != nil {
				return err
			}
			if k, ok, _ := g.interval(v[1]); ok {
				r.acc[k].LeadsCreated += l.n
				r.converted = append(r.converted, l)
			}
		case "2":
			n, err := parseCount(v[4])
			if err != nil {
				return err
			}
			if k, ok, err := g.interval(v[1]); err != nil {
				return err
			} else if ok {
				r.acc[k].QualifiedLeads += n
			}
		case "3":
			var n [3]int64
			for i := range n {
				var err error
				if n[i], err = parseCount(v[4+i]); err != nil {
					return err
				}
			}
			d := dimOf(r.reps, v[3].String)
			d.LeadsCreated += n[0]
			d.LeadsConverted += n[1]
			d.QualifiedLeads += n[2]
		}
		return nil
	})
}

// deals sums won deals per interval of their closed date, and per rep and per region
// of their customer in the dimension window.
func (g *gen) deals(t, customers *table, r *result) *statement {
	p := g.params()
	bad := g.badCount(g.checks(t))
	if !t.has("closed_date") {
		// No deal is won: a won deal without a closed date breaks the contract.
		q := selectList("1 AS part", "NULL AS pos", g.text("NULL")+" AS name", g.text("0"), g.text("0"), g.text("0"), bad+" AS bad_rows") +
			"\nFROM " + t.from + " AS t"
		return g.stmt(p, "deals", "rows that break the data contract", q, 7, g.dealRow(r))
	}
	won := g.enumIn(g.col("t", "status"), t.def.Column("status").Values, []string{"won"})
	value := g.col("t", "value")
	cycle := "(" + g.dayNumber(p, t, "closed_date") + " - " + g.dayNumber(p, t, "created_date") + ")"
	inDim := won + " AND " + g.within(p, t, "t", "closed_date", g.dimLo, g.dimHi)
	sums := func() []string {
		return []string{g.text("COUNT(*)"), g.text("SUM(" + value + ")"), g.text("SUM(" + cycle + ")"), g.text("NULL")}
	}
	region, join := "''", ""
	if customers.has("region") && t.has("customer_id") {
		region = "COALESCE(c.region, '')"
		join = "\nLEFT JOIN " + g.regions(customers) + " AS c ON c.customer_id = " + g.key(g.col("t", "customer_id"))
	}
	q := union(
		selectList("1 AS part",
			"iv.k AS pos",
			g.text("NULL")+" AS name",
			g.text("SUM(CASE WHEN "+won+" THEN 1 ELSE 0 END)")+" AS won_deals",
			g.text("SUM(CASE WHEN "+won+" THEN "+value+" ELSE 0 END)")+" AS won_value",
			g.text("SUM(CASE WHEN "+won+" THEN "+cycle+" ELSE 0 END)")+" AS cycle_days",
			bad+" AS bad_rows")+
			"\nFROM "+t.from+" AS t"+g.joinPositions(p, t, "t", "closed_date")+"\nGROUP BY 2",
		selectList(append([]string{"2", "NULL", g.orEmpty(t, "t", "rep")}, sums()...)...)+
			"\nFROM "+t.from+" AS t\nWHERE "+inDim+"\nGROUP BY 3",
		selectList(append([]string{"3", "NULL", region}, sums()...)...)+
			"\nFROM "+t.from+" AS t"+join+"\nWHERE "+inDim+"\nGROUP BY 3")
	return g.stmt(p, "deals", "won deals per interval of their closed date, and per rep and region in the report's period", q, 7, g.dealRow(r))
}

func (g *gen) dealRow(r *result) func([]sql.NullString) error {
	return func(v []sql.NullString) error {
		if err := r.addBad(v[6]); err != nil {
			return err
		}
		won, err := parseCount(v[3])
		if err != nil {
			return err
		}
		value, err := parseSum(v[4])
		if err != nil {
			return err
		}
		cycle, err := parseCount(v[5])
		if err != nil {
			return err
		}
		var d *kpi.DimMeasures
		switch v[0].String {
		case "1":
			k, ok, err := g.interval(v[1])
			if err != nil || !ok {
				return err
			}
			a := &r.acc[k]
			a.WonDeals += won
			a.WonValue.AddSum(value)
			a.CycleDays += cycle
			return nil
		case "2":
			d = dimOf(r.reps, v[2].String)
		case "3":
			d = dimOf(r.regions, v[2].String)
		default:
			return fmt.Errorf("%w: part %q", ErrResult, v[0].String)
		}
		d.WonDeals += won
		d.WonValue.AddSum(value)
		d.CycleDays += cycle
		return nil
	}
}

// dayNumber returns the local day of a date column, as days since 1970-01-01.
func (g *gen) dayNumber(p *Params, t *table, name string) string {
	return g.d.DayNumber(g.col("t", name), t.cols[name].class, p)
}

// spend sums spend per interval.
func (g *gen) spend(t *table, r *result) *statement {
	p := g.params()
	q := selectList(
		"iv.k AS pos",
		g.text("SUM("+g.col("t", "amount")+")")+" AS spend",
		g.badCount(g.checks(t))+" AS bad_rows",
	) + "\nFROM " + t.from + " AS t" + g.joinPositions(p, t, "t", "spend_date") + "\nGROUP BY 1"
	return g.stmt(p, "spend", "spend per interval", q, 3, func(v []sql.NullString) error {
		if err := r.addBad(v[2]); err != nil {
			return err
		}
		spend, err := parseSum(v[1])
		if err != nil {
			return err
		}
		k, ok, err := g.interval(v[0])
		if err != nil || !ok {
			return err
		}
		r.acc[k].Spend.AddSum(spend)
		return nil
	})
}

// calls counts calls that are not inbound per interval, and per rep in the dimension
// window.
func (g *gen) calls(t *table, r *result) *statement {
	p := g.params()
	outbound := "1 = 1"
	if t.has("direction") {
		outbound = "(" + g.empty(t, "t", "direction") + " OR NOT (" + g.enumIn(g.col("t", "direction"), t.def.Column("direction").Values, []string{"inbound"}) + "))"
	}
	q := union(
		selectList("1 AS part",
			"iv.k AS pos",
			g.text("NULL")+" AS rep",
			g.text("SUM(CASE WHEN "+outbound+" THEN 1 ELSE 0 END)")+" AS sales_calls",
			g.badCount(g.checks(t))+" AS bad_rows")+
			"\nFROM "+t.from+" AS t"+g.joinPositions(p, t, "t", "call_date")+"\nGROUP BY 2",
		selectList("2", "NULL", g.orEmpty(t, "t", "rep"), g.text("COUNT(*)"), g.text("NULL"))+
			"\nFROM "+t.from+" AS t\nWHERE "+outbound+" AND "+g.within(p, t, "t", "call_date", g.dimLo, g.dimHi)+"\nGROUP BY 3")
	return g.stmt(p, "calls", "calls that are not inbound per interval, and per rep in the report's period", q, 5, func(v []sql.NullString) error {
		if err := r.addBad(v[4]); err != nil {
			return err
		}
		n, err := parseCount(v[3])
		if err != nil {
			return err
		}
		if v[0].String == "2" {
			dimOf(r.reps, v[2].String).SalesCalls += n
			return nil
		}
		k, ok, err := g.interval(v[1])
		if err != nil || !ok {
			return err
		}
		r.acc[k].SalesCalls += n
		return nil
	})
}

// parsePositions parses the positions of two dates and a count.
func parsePositions(a, b, n sql.NullString) (posCount, error) {
	var c posCount
	var err error
	if a.Valid {
		if c.a, err = strconv.ParseInt(a.String, 10, 64); err != nil {
			return c, fmt.Errorf("%w: position %q", ErrResult, a.String)
		}
	}
	if !b.Valid {
		return c, fmt.Errorf("%w: no position", ErrResult)
	}
	if c.b, err = strconv.ParseInt(b.String, 10, 64); err != nil {
		return c, fmt.Errorf("%w: position %q", ErrResult, b.String)
	}
	c.n, err = parseCount(n)
	return c, err
}
