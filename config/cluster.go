package config

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Cluster says how several replicas of the daemon share one schedule. Each
// replica claims a (job, period) in the ledger before it runs it, whatever
// the lock; the lock only spares the others the attempt.
type Cluster struct {
	Lock        string   `toml:"lock"`          // "none" (default) | "postgres" | "redis"
	DSNEnv      string   `toml:"dsn_env"`       // postgres: name of the variable holding the DSN; default state.dsn_env
	RedisAddr   string   `toml:"redis_addr"`    // redis: host:port; or redis_url_env
	RedisURLEnv string   `toml:"redis_url_env"` // redis: name of the variable holding a redis:// or rediss:// URL
	Lease       Duration `toml:"lease"`         // how long a claim or Redis lock lasts unless renewed, default 2m
	Node        string   `toml:"node"`          // name of this replica, unique among them, default <hostname>-<pid>
	KeyPrefix   string   `toml:"key_prefix"`    // prefix of the lock keys, default "kpireport:"
	// DSN is read by Load from dsn_env (or state.dsn_env) when lock is
	// "postgres"; RedisURL from redis_url_env. Neither is in the file.
	DSN      Secret `toml:"-"`
	RedisURL Secret `toml:"-"`
}

// Defaults of [cluster].
const (
	DefaultClusterLock = "none"
	DefaultLease       = 2 * time.Minute
	DefaultKeyPrefix   = "kpireport:"
)

// MinLease is the shortest lease: claims are renewed every third of it.
const MinLease = time.Second

// clusterLocks are the values of cluster.lock. This list is the only place
// that knows them.
var clusterLocks = []string{"none", "postgres", "redis"}

// DefaultNode returns the node name of this process: <hostname>-<pid>.
func DefaultNode() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "kpireport"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

var (
	nodeName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$`)
	keyPrefix = regexp.MustCompile(`^[A-Za-z0-9._:/@-]{1,100}$`)
)

// clusterSecrets are what checkCluster read from the environment.
type clusterSecrets struct {
	dsn, redisURL Secret
}

// checkCluster checks [cluster] and reads the lock's DSN or Redis URL from
// the environment; stateDSN is the ledger's, read by checkState. Problems
// name the variable, never its value.
func (c *Config) checkCluster(ps *problems, stateDSN Secret) clusterSecrets {
	cl := &c.Cluster
	var sec clusterSecrets
	known := slices.Contains(clusterLocks, cl.Lock)
	switch {
	case cl.Lock == "":
		ps.add("cluster.lock", "is empty; one of %s", list(clusterLocks))
	case !known:
		ps.add("cluster.lock", "%s is not a lock; one of %s", quote(cl.Lock), list(clusterLocks))
	}

	// dsn_env: postgres only, defaulting to the ledger's.
	if cl.DSNEnv != "" && known && cl.Lock != "postgres" {
		ps.add("cluster.dsn_env", `does not apply to cluster.lock %q`, cl.Lock)
	}
	if cl.Lock == "postgres" {
		switch {
		case cl.DSNEnv != "":
			sec.dsn = readEnv(ps, "cluster.dsn_env", cl.DSNEnv, "DSN")
		case c.State.Driver == "postgres":
			sec.dsn = stateDSN // a problem with it is reported at state.dsn_env
		default:
			ps.add("cluster.dsn_env", `is required when cluster.lock is "postgres" and state.driver is not "postgres"`)
		}
	}

	// redis_addr or redis_url_env: redis only, exactly one.
	redis := cl.Lock == "redis"
	for _, f := range []field{{"redis_addr", cl.RedisAddr}, {"redis_url_env", cl.RedisURLEnv}} {
		if f.value != "" && known && !redis {
			ps.add("cluster."+f.key, `does not apply to cluster.lock %q`, cl.Lock)
		}
	}
	if redis {
		switch {
		case cl.RedisAddr == "" && cl.RedisURLEnv == "":
			ps.add("cluster.redis_addr", `is required when cluster.lock is "redis" (or set cluster.redis_url_env)`)
		case cl.RedisAddr != "" && cl.RedisURLEnv != "":
			ps.add("cluster", "sets both redis_addr and redis_url_env; use one")
		case cl.RedisAddr != "":
			checkHostPort(ps, "cluster.redis_addr", cl.RedisAddr)
		default:
			sec.redisURL = readEnv(ps, "cluster.redis_url_env", cl.RedisURLEnv, "URL")
			if sec.redisURL != "" && !isRedisURL(sec.redisURL.Reveal()) {
				ps.add("cluster.redis_url_env", "environment variable %s does not hold a redis://, rediss:// or unix:// URL", cl.RedisURLEnv)
			}
		}
	}

	if cl.Lease.Duration < MinLease {
		ps.add("cluster.lease", "%v is too short; want a duration of at least %v, such as %q", cl.Lease, Duration{MinLease}, Duration{DefaultLease}.String())
	}
	if !nodeName.MatchString(cl.Node) {
		ps.add("cluster.node", "%s is not a node name (letters, digits and ._:@-, at most 100)", quote(cl.Node))
	}
	if !keyPrefix.MatchString(cl.KeyPrefix) {
		ps.add("cluster.key_prefix", "%s is not a key prefix (letters, digits and ._:/@-, 1 to 100)", quote(cl.KeyPrefix))
	}
	return sec
}

// checkHostPort reports a problem unless addr is host:port.
func checkHostPort(ps *problems, key, addr string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		ps.add(key, "%s is not host:port", quote(addr))
		return
	}
	if host == "" || net.ParseIP(host) == nil && !hostName.MatchString(host) {
		ps.add(key, "%s has no host name or IP address", quote(addr))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ps.add(key, "%s has no port (1 to 65535)", quote(addr))
	}
}

func isRedisURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "redis" || u.Scheme == "rediss" || u.Scheme == "unix")
}

// readEnv reads the environment variable name, which a setting at key names
// and which holds what (a DSN, a URL). Problems name the variable, never
// the value: it may be a secret.
func readEnv(ps *problems, key, name, what string) Secret {
	if !envName.MatchString(name) {
		ps.add(key, "is not the name of an environment variable (letters, digits and _); write the name of the variable that holds the %s, not the %s", what, what)
		return ""
	}
	v, ok := os.LookupEnv(name)
	switch {
	case !ok:
		ps.add(key, "environment variable %s is not set", name)
	case v == "":
		ps.add(key, "environment variable %s is empty", name)
	}
	return Secret(v)
}
