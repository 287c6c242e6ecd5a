package api

// Roles of the prize lifecycle, beside RoleVoter and RoleOrganiser.
const (
	// RoleOwner submits and follows entries.
	RoleOwner = "owner"
	// RoleJuror scores the Champions of the categories on their panel.
	RoleJuror = "juror"
)
