package cluster_test

import (
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/towns-node/node/actors"
)

func blocksReceived(m *actors.Metrics) float64 { return testutil.ToFloat64(m.BlocksReceived) }
