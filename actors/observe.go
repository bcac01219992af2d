package actors

// Observer is told of every update the node's stream actors publish (the
// same as a subscription's: events that entered a minipool, miniblocks
// applied) and of every stream created here (an Update with its genesis,
// miniblock 0). It is called on actor goroutines and must not block.
type Observer interface {
	Observe(Update)
}

func (n *Node) observe(u Update) {
	if n.observer != nil {
		n.observer.Observe(u)
	}
}
