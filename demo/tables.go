package demo

// table is one canonical table of the data contract: its name, its columns in
// the order they are written and the generator that fills it.
type table struct {
	name     string
	columns  []column
	generate func(g *generator, w tableWriter) (int, error)
}

// column is one column of a table; required columns never hold an empty value.
type column struct {
	name     string
	required bool
}

// tables lists the generated tables in the order they are written. The
// orders need the customers, and the spend needs the orders' revenue.
var tables = []*table{
	{
		name: "customers",
		columns: []column{
			{"customer_id", true}, {"name", true}, {"segment", true}, {"region", true},
			{"acquired_date", true}, {"churned_date", false},
		},
		generate: (*generator).customersTable,
	},
	{
		name: "orders",
		columns: []column{
			{"order_id", true}, {"customer_id", true}, {"order_date", true}, {"amount", true},
			{"cost", true}, {"recurring", true}, {"kind", true}, {"rep", true}, {"region", true},
		},
		generate: (*generator).ordersTable,
	},
	{
		name: "leads",
		columns: []column{
			{"lead_id", true}, {"created_date", true}, {"qualified_date", false},
			{"converted_date", false}, {"source", true}, {"rep", true},
		},
		generate: (*generator).leadsTable,
	},
	{
		name: "deals",
		columns: []column{
			{"deal_id", true}, {"created_date", true}, {"closed_date", false}, {"status", true},
			{"value", true}, {"rep", true}, {"customer_id", false},
		},
		generate: (*generator).dealsTable,
	},
	{
		name: "spend",
		columns: []column{
			{"spend_date", true}, {"category", true}, {"amount", true}, {"channel", true},
		},
		generate: (*generator).spendTable,
	},
	{
		name: "calls",
		columns: []column{
			{"call_id", true}, {"call_date", true}, {"direction", true}, {"rep", true},
		},
		generate: (*generator).callsTable,
	},
}

func (t *table) columnNames() []string {
	names := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
	}
	return names
}
