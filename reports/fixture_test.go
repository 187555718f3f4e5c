package reports

import (
	"image"
	"image/color"
	"image/png"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kpireport/kpireport/kpi"
	"github.com/kpireport/kpireport/money"
	"github.com/kpireport/kpireport/period"
)

// The fixture: a monthly report on October 2026 for a company whose measures vary by
// window, with some KPIs n/a (no spend data; no deals won in September and in
// October 2025; no leads in May) and rep and region names that look like formulas.
// It was generated at 06:00 UTC, 07:00 in Amsterdam: a time not shown in the
// report's zone shows.
var (
	fixturePeriod  = period.Period{Kind: period.Month, Year: 2026, N: 10}
	fixtureCompany = "Voorbeeld & Zonen B.V."
	fixtureFormula = "=SUM(A1:A3)" // a rep name that must stay text
)

func amsterdam(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fixtureReport returns the fixture report on fixturePeriod in lang.
func fixtureReport(t testing.TB, lang string) *kpi.Report {
	return fixtureReportFor(t, fixturePeriod, lang)
}

// fixtureReportFor builds the data of every window of p's plan by hand and computes
// the report with the KPI engine.
func fixtureReportFor(t testing.TB, p period.Period, lang string) *kpi.Report {
	t.Helper()
	loc := amsterdam(t)
	plan := kpi.NewPlan(p)
	data := &kpi.Data{
		Windows: make(map[period.Range]*kpi.Measures, len(plan.Windows)),
		Has:     kpi.Availability{Cost: true, Leads: true, Deals: true, Spend: false, Calls: true},
	}
	for _, w := range plan.Windows {
		data.Windows[w] = fixtureMeasures(w)
	}
	// n/a on purpose: no deals won in the previous period and a year ago, no leads
	// five periods ago.
	for _, w := range []period.Range{p.Prev().Range(), p.YearAgo().Range()} {
		data.Windows[w].WonDeals = 0
		data.Windows[w].WonValue = money.Sum{}
		data.Windows[w].CycleDays = 0
	}
	data.Windows[p.Add(-5).Range()].LeadsCreated = 0
	data.Windows[p.Add(-5).Range()].LeadsConverted = 0

	data.ByRep = []kpi.DimMeasures{
		dim("", 1_250_0000, 3, 0, 0, 0, 4, 1, 2, 0),
		dim(fixtureFormula, 18_400_1234, 41, 3, 15_600_0000, 57, 120, 14, 40, 9),
		dim("+31 Sales", 9_900_5000, 22, 1, 5_200_0000, 31, 80, 6, 22, 3),
		dim("@team", 0, 0, 0, 0, 0, 12, 0, 4, 0),
		dim("Anna de Vries", 42_012_3456, 97, 7, 38_450_5000, 161, 260, 33, 80, 21),
		dim("Ëlise Müller", 37_750_0000, 88, 5, 26_000_0000, 98, 240, 21, 66, 12),
	}
	data.ByRegion = []kpi.DimMeasures{
		dim("", 2_000_0000, 4, 0, 0, 0, 0, 0, 0, 0),
		dim("-West", 31_000_0000, 70, 4, 21_000_0000, 88, 0, 0, 0, 0),
		dim("Noord", 40_562_9690, 99, 6, 34_250_5000, 120, 0, 0, 0, 0),
		dim("Zuid", 35_750_0000, 78, 6, 30_000_0000, 139, 0, 0, 0, 0),
	}
	opt := kpi.Options{Targets: map[string]*big.Rat{
		kpi.IDRevenue:      big.NewRat(100_000, 1),
		kpi.IDChurnRate:    big.NewRat(1, 100),
		kpi.IDAOV:          big.NewRat(1_400, 1),
		kpi.IDProfitMargin: big.NewRat(1, 2),
	}}
	rep, err := kpi.Compute(plan, data, opt, loc)
	if err != nil {
		t.Fatal(err)
	}
	rep.Job = "monthly"
	rep.Company = fixtureCompany
	rep.Currency = "EUR"
	rep.Lang = lang
	rep.GeneratedAt = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	return rep
}

// fixtureMeasures returns measures that depend on the window's start and length, so
// that periods, their previous periods and trailing twelve months all differ.
func fixtureMeasures(w period.Range) *kpi.Measures {
	days := int64(w.End - w.Start)
	k := (int64(w.Start)*7919 + days) % 97
	eur := func(units int64) money.Sum { return money.SumOf(money.Amount(units)) } // 1/10000 €
	won := days/4 + k%3
	created := days*3 + k%10
	start := 400 + k
	lost := 3 + k%6 + days/60
	return &kpi.Measures{
		Revenue:          eur(days*3_950_1234 + k*211_7700),
		GrossSales:       eur(days*3_990_1234 + k*211_7700),
		SalesCount:       days*3 + k%13,
		Cost:             eur(days*2_400_0000 + k*50_0000),
		Buyers:           days*2 + k%7,
		RecurringRevenue: eur(days*1_100_0000 + k*10_0000),
		ExpansionRevenue: eur(days*300_0000 + k*5_5000),
		NewCustomers:     days/3 + k%5,
		CustomersStart:   start,
		CustomersLost:    lost,
		CustomersEnd:     start - lost + days/3 + k%5,
		WonDeals:         won,
		WonValue:         eur(won * 5_200_5000),
		CycleDays:        won * (20 + k%9),
		LeadsCreated:     created,
		LeadsConverted:   created / 5,
		QualifiedLeads:   days + k%8,
		SalesCalls:       days*9 + k%17,
	}
}

// dim returns the measures of one rep or region; amounts in 1/10000 €.
func dim(name string, revenue, sales, won, wonValue, cycle, calls, qualified, created, converted int64) kpi.DimMeasures {
	return kpi.DimMeasures{
		Name:           name,
		Revenue:        money.SumOf(money.Amount(revenue)),
		SalesCount:     sales,
		WonDeals:       won,
		WonValue:       money.SumOf(money.Amount(wonValue)),
		CycleDays:      cycle,
		SalesCalls:     calls,
		QualifiedLeads: qualified,
		LeadsCreated:   created,
		LeadsConverted: converted,
	}
}

// writeLogo writes a PNG logo (three rising white bars on the accent colour) into
// dir and returns its path.
func writeLogo(t testing.TB, dir string) string {
	t.Helper()
	const size = 240
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	accent := color.RGBA{0x1f, 0x4e, 0x79, 0xff}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			img.Set(x, y, accent)
		}
	}
	for i, h := range []int{70, 115, 160} {
		x0 := 45 + i*55
		for y := 195 - h; y < 195; y++ {
			for x := x0; x < x0+40; x++ {
				img.Set(x, y, color.White)
			}
		}
	}
	path := filepath.Join(dir, "logo.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustParse(t testing.TB, label string) period.Period {
	t.Helper()
	p, err := period.Parse(label)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
