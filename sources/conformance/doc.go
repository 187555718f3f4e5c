// Package conformance holds the test that every source computes the same measures and
// KPIs from the same data: the demo company (CSV files, its SQLite database, and loaded
// into PostgreSQL and MySQL) and edge-case fixtures (PostgreSQL and MySQL) must give
// the CSV source's kpi.Data and KPI JSON for several months, ISO weeks and quarters.
// It has no code of its own.
package conformance
