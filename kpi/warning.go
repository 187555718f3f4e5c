package kpi

import (
	"fmt"

	"github.com/kpireport/kpireport/period"
)

// WarningCode says what a Warning is about.
type WarningCode string

// The warnings a source gives.
const (
	// WarnOrphanOrders: orders whose customer_id is not in the customers table.
	// They count for revenue, sales and buyers like any order, but for no
	// customer's region.
	WarnOrphanOrders WarningCode = "orphan_orders"
	// WarnFutureRows: rows dated after the run's today (Plan.Today), such as a typo
	// 2062 for 2026. They count like any row in the periods they fall in, but not for
	// the watermark, so they cannot make stale data look fresh.
	WarnFutureRows WarningCode = "future_rows"
)

// FutureWarning returns the WarnFutureRows warning for count rows, the example being
// a row of table dated day (the latest date in the future).
func FutureWarning(count int64, table string, day period.Date) Warning {
	return Warning{Code: WarnFutureRows, Count: count, Example: day.String(), Where: table}
}

// Warning is a problem of the data that does not stop a report: the report is made,
// and validate, kpis and the run log say it.
type Warning struct {
	Code    WarningCode
	Count   int64  // how many rows have the problem
	Example string // one of them: an order_id
	Where   string // where the example is: "orders.csv line 12", "table orders row 12"
}

// String returns the warning in English, for logs and validate, for example
//
//	3 orders have a customer_id that is not in customers, such as order "O7" (orders.csv line 9)
func (w Warning) String() string {
	switch w.Code {
	case WarnOrphanOrders:
		where := ""
		if w.Where != "" {
			where = " (" + w.Where + ")"
		}
		noun := "orders have"
		if w.Count == 1 {
			noun = "order has"
		}
		return fmt.Sprintf("%d %s a customer_id that is not in customers, such as order %q%s", w.Count, noun, w.Example, where)
	case WarnFutureRows:
		noun := "rows are"
		if w.Count == 1 {
			noun = "row is"
		}
		return fmt.Sprintf("%d %s dated in the future, such as %s in table %s; they do not count for the watermark", w.Count, noun, w.Example, w.Where)
	}
	return fmt.Sprintf("%s: %d rows, such as %q (%s)", w.Code, w.Count, w.Example, w.Where)
}
