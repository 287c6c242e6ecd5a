package scenario

import "fmt"

// Attack is labelled traffic that is not an honest voter voting once. Every
// request or voter of an attack carries its label, so that what fraud
// scoring flags can later be checked against what was sent. Kinds that the
// generator cannot play yet are refused by name rather than ignored.
type Attack struct {
	// Kind is what the traffic does (see AttackKinds).
	Kind string `json:"kind"`
	// Share is the fraction of requests (duplicate) or of voters
	// (shared_address) the attack takes, between 0 and 1.
	Share float64 `json:"share"`
	// Label names the traffic in reports and in the labels file.
	Label string `json:"label"`
	// Addresses is how many client addresses a shared_address attack uses.
	Addresses int `json:"addresses,omitempty"`
	// Network is the CIDR range a shared_address attack's addresses are
	// drawn from.
	Network string `json:"network,omitempty"`
}

// Attack kinds the generator plays.
const (
	// AttackDuplicate re-sends a ballot that was already cast, a replayed
	// or retried request: the server must answer 409 and count nothing.
	AttackDuplicate = "duplicate"
	// AttackSharedAddress makes a share of the voters vote from a handful
	// of addresses, as a click farm or a single NAT does. Their votes are
	// valid ballots and count until fraud scoring says otherwise.
	AttackSharedAddress = "shared_address"
)

// AttackKinds are the kinds a scenario may use.
var AttackKinds = []string{AttackDuplicate, AttackSharedAddress}

func (a *Attack) validate(i int) Problems {
	var p Problems
	add := func(format string, args ...any) {
		p = append(p, fmt.Sprintf("attacks[%d]"+format, append([]any{i}, args...)...))
	}
	switch a.Kind {
	case AttackDuplicate:
	case AttackSharedAddress:
		if a.Addresses <= 0 {
			a.Addresses = 4
		}
		if a.Network == "" {
			a.Network = "203.0.113.0/24"
		}
		c := Clients{Networks: []string{a.Network}, Addresses: a.Addresses}
		if cp := c.validate(); len(cp) > 0 {
			add(".network %q is not an IPv4 CIDR range", a.Network)
		}
	default:
		add(".kind %q is not one the generator plays; want one of %v", a.Kind, AttackKinds)
	}
	if !(a.Share > 0 && a.Share < 1) {
		add(".share %v must be between 0 and 1", a.Share)
	}
	if a.Label == "" {
		add(".label is required: attack traffic is always labelled")
	}
	return p
}

// AddressPool returns the addresses a shared_address attack's voters use.
func (a *Attack) AddressPool() Clients {
	c := Clients{Networks: []string{a.Network}, Addresses: max(a.Addresses, 1)}
	c.validate()
	return c
}
