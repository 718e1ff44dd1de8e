"""The pages of exchanges of prisoners and remains: the exchanges a member reads and the proposal of a new one;
each exchange's agreement (versions of its terms, sign-offs, counter-proposals), status and release; each side's
lists checked against the registry; the mediators' consent interviews; the plan computed by the solver and
signed; the handover board person by person with the acts of transfer; remains and their identification; each
side's count beside the tally."""
