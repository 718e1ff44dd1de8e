"""Exchanges of prisoners, detained civilians and remains: the agreement and its versions, each side's lists and
their check against the registry, the mediator's consent interviews, the plan, the handover person by person, the
bodies and their identification, each side's count and the reconciliation, the embargo, and the act of transfer."""
