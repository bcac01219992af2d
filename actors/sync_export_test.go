package actors

// HoldValidateSlots takes every validate-block slot of n, as validations
// in progress would; the returned func gives them back.
func HoldValidateSlots(n *Node) func() {
	sh := n.syncs()
	k := cap(sh.validating)
	for range k {
		sh.validating <- struct{}{}
	}
	return func() {
		for range k {
			<-sh.validating
		}
	}
}
