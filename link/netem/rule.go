package netem

// Forever is the Rule.Count of a rule that never expires.
const Forever = -1

// Rule drops chosen packets, for scenario tests such as "drop the next FIN
// from A". Rules are checked in the order they were added, before the path's
// own impairments; the first live rule that matches drops the packet.
type Rule struct {
	// Match reports whether the rule applies to a packet. pkt is valid only
	// during the call. A nil Match matches every packet.
	Match func(from, to HostID, pkt []byte) bool
	// Count is how many packets the rule drops before it expires; Forever
	// (or any negative value) drops every match. A rule with Count 0 is
	// already spent and drops nothing.
	Count int
}

// RuleID names a rule added to a Network.
type RuleID int

// rule is a Rule with its bookkeeping.
type rule struct {
	Rule
	id      RuleID
	dropped int
}

// AddRule installs a drop rule and returns its ID.
func (n *Network) AddRule(r Rule) RuleID {
	n.nextRID++
	n.rules = append(n.rules, &rule{Rule: r, id: n.nextRID})
	return n.nextRID
}

// RemoveRule uninstalls a rule. Removing an unknown rule does nothing.
func (n *Network) RemoveRule(id RuleID) {
	for i, r := range n.rules {
		if r.id == id {
			n.rules = append(n.rules[:i], n.rules[i+1:]...)
			return
		}
	}
}

// RuleDropped returns how many packets a rule has dropped, or 0 for an
// unknown or removed rule.
func (n *Network) RuleDropped(id RuleID) int {
	for _, r := range n.rules {
		if r.id == id {
			return r.dropped
		}
	}
	return 0
}

// ruleDrops applies the rules to one packet and reports whether it is
// dropped. A spent rule stays installed, so RuleDropped still answers for it.
func (n *Network) ruleDrops(from, to HostID, pkt []byte) bool {
	for _, r := range n.rules {
		if r.Count == 0 {
			continue
		}
		if r.Match != nil && !r.Match(from, to, pkt) {
			continue
		}
		if r.Count > 0 {
			r.Count--
		}
		r.dropped++
		return true
	}
	return false
}

// Partition cuts hosts a and b apart: packets between them, in either
// direction, are dropped until Heal. Packets already in flight still arrive.
func (n *Network) Partition(a, b HostID) { n.split[unordered(a, b)] = true }

// Heal undoes Partition(a, b).
func (n *Network) Heal(a, b HostID) { delete(n.split, unordered(a, b)) }

// unordered returns the key of the pair {a, b} regardless of order.
func unordered(a, b HostID) pathKey {
	if a > b {
		a, b = b, a
	}
	return pathKey{a, b}
}
