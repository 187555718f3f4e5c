package jobs

// The source backends register themselves with package sources.
import (
	_ "github.com/kpireport/kpireport/sources/csv"
	_ "github.com/kpireport/kpireport/sources/sqlite"
)
