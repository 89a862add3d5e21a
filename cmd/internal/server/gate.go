package server

import (
	"context"
	"sync/atomic"
)

// gate caps the answers that may call the language model at once, with a
// bounded queue of waiting ones.
type gate struct {
	slots   chan struct{}
	queue   int64
	waiting atomic.Int64
}

func newGate(n, queue int) *gate {
	return &gate{slots: make(chan struct{}, n), queue: int64(queue)}
}

// acquire takes a slot, waiting in the queue when all are taken. It returns
// errBusy at once when the queue is full too, and ctx's error when the
// caller gives up waiting. release must be called exactly once.
func (g *gate) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, nil
	default:
	}
	if g.waiting.Add(1) > g.queue {
		g.waiting.Add(-1)
		return nil, errBusy
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// inFlight and queued are the gauges.
func (g *gate) inFlight() int { return len(g.slots) }
func (g *gate) queued() int   { return int(g.waiting.Load()) }
