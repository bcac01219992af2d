package cluster_test

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/towns-node/node/actors"
)

func blocksReceived(m *actors.Metrics) float64 { return testutil.ToFloat64(m.BlocksReceived) }

func blocksRejected(m *actors.Metrics) float64 {
	var sum float64
	ch := make(chan prometheus.Metric, 64)
	go func() { m.BlocksRejected.Collect(ch); close(ch) }()
	for mt := range ch {
		var d dto.Metric
		_ = mt.Write(&d)
		sum += d.GetCounter().GetValue()
	}
	return sum
}
