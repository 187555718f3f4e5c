package jobs

// The source backends register themselves with package sources.
import (
	_ "github.com/kpireport/kpireport/sources/csv"
	_ "github.com/kpireport/kpireport/sources/mysql"
	_ "github.com/kpireport/kpireport/sources/postgres"
	_ "github.com/kpireport/kpireport/sources/sqlite"
)
