package sources

// Type is the type of the values of a canonical column.
type Type uint8

// The column types of the data contract.
const (
	Text    Type = iota + 1 // any text
	Date                    // a date or timestamp, read as a local day of the report's zone
	Decimal                 // an exact decimal with up to 4 fraction digits
	Bool                    // true/false, 1/0 or yes/no, in any case
	Enum                    // one of ColumnDef.Values, in any case
)

// String returns the type's name as the contract writes it.
func (t Type) String() string {
	switch t {
	case Text:
		return "text"
	case Date:
		return "date or timestamp"
	case Decimal:
		return "decimal"
	case Bool:
		return "bool"
	case Enum:
		return "enum"
	}
	return "unknown type"
}

// Need says when a column and its cells must be present.
type Need uint8

// The needs of a column.
const (
	Optional Need = iota // the column may be missing and its cells empty
	Required             // the column must exist and no cell may be empty
	NotEmpty             // the column may be missing, but when it exists no cell may be empty
)

// ColumnDef is one column of a canonical table.
type ColumnDef struct {
	Name string
	Type Type
	Need Need
	// Unique: no two rows have the same value.
	Unique bool
	// Values are the accepted values of an Enum column.
	Values []string
	// Default is the value of an empty cell, "" for none.
	Default string
	// NonNegative: a Decimal that must be ≥ 0.
	NonNegative bool
	// RequiredWhen makes an optional column required in rows where another column
	// has one of some values.
	RequiredWhen *Condition
}

// Condition is "column has one of values".
type Condition struct {
	Column string
	Values []string
}

// TableDef is one canonical table of the data contract.
type TableDef struct {
	Name     string
	Required bool // orders and customers; without an optional table its KPIs are n/a
	Columns  []ColumnDef
}

// Column returns the column called name, or nil.
func (t *TableDef) Column(name string) *ColumnDef {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Schema is the data contract: the canonical tables, their columns, types and which
// of them are required. Column names are the CSV headers and the column names an SQL
// query must return; they are case-sensitive. Other columns are ignored.
var Schema = []TableDef{
	{Name: "orders", Required: true, Columns: []ColumnDef{
		{Name: "order_id", Type: Text, Need: Required, Unique: true},
		{Name: "customer_id", Type: Text, Need: Required},
		{Name: "order_date", Type: Date, Need: Required},
		{Name: "amount", Type: Decimal, Need: Required},
		{Name: "cost", Type: Decimal, Need: NotEmpty},
		{Name: "recurring", Type: Bool, Default: "false"},
		{Name: "kind", Type: Enum, Values: []string{"new", "repeat", "upsell", "cross_sell"}},
		{Name: "rep", Type: Text},
		{Name: "region", Type: Text},
	}},
	{Name: "customers", Required: true, Columns: []ColumnDef{
		{Name: "customer_id", Type: Text, Need: Required, Unique: true},
		{Name: "acquired_date", Type: Date, Need: Required},
		{Name: "churned_date", Type: Date},
		{Name: "name", Type: Text},
		{Name: "segment", Type: Text},
		{Name: "region", Type: Text},
	}},
	{Name: "leads", Columns: []ColumnDef{
		{Name: "lead_id", Type: Text, Need: Required, Unique: true},
		{Name: "created_date", Type: Date, Need: Required},
		{Name: "qualified_date", Type: Date},
		{Name: "converted_date", Type: Date},
		{Name: "source", Type: Text},
		{Name: "rep", Type: Text},
	}},
	{Name: "deals", Columns: []ColumnDef{
		{Name: "deal_id", Type: Text, Need: Required, Unique: true},
		{Name: "created_date", Type: Date, Need: Required},
		{Name: "closed_date", Type: Date, RequiredWhen: &Condition{Column: "status", Values: []string{"won", "lost"}}},
		{Name: "status", Type: Enum, Need: Required, Values: []string{"open", "won", "lost"}},
		{Name: "value", Type: Decimal, Need: Required, NonNegative: true},
		{Name: "rep", Type: Text},
		{Name: "customer_id", Type: Text},
	}},
	{Name: "spend", Columns: []ColumnDef{
		{Name: "spend_date", Type: Date, Need: Required},
		{Name: "category", Type: Enum, Need: Required, Values: []string{"marketing", "sales"}},
		{Name: "amount", Type: Decimal, Need: Required},
		{Name: "channel", Type: Text},
	}},
	{Name: "calls", Columns: []ColumnDef{
		{Name: "call_id", Type: Text, Need: Required},
		{Name: "call_date", Type: Date, Need: Required},
		{Name: "direction", Type: Enum, Values: []string{"inbound", "outbound"}, Default: "outbound"},
		{Name: "rep", Type: Text},
	}},
}

// SchemaOf returns the canonical table called name, or nil.
func SchemaOf(name string) *TableDef {
	for i := range Schema {
		if Schema[i].Name == name {
			return &Schema[i]
		}
	}
	return nil
}
