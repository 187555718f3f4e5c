// Package templates holds the built-in report templates of kpireport, embedded in the
// binary: a report layout per period kind (month.toml, week.toml, quarter.toml), the
// UI labels of both report languages (labels.toml) and the KPI and measure
// definitions (definitions.toml). A folder configured as report.template_dir replaces
// any of them file by file; package reports loads and checks them.
package templates

import "embed"

// FS holds the built-in template files at the root of the file system: the report
// templates (*.toml) and the mail templates (*.tmpl).
//
//go:embed *.toml *.tmpl
var FS embed.FS
