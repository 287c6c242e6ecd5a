package redis_test

import (
	"os"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestMain stops the test Redis Cluster the package's tests started.
func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopRedisCluster()
	os.Exit(code)
}
