"""The pages of talks: processes, rounds and meetings, the points board, points with each party's positions,
joint texts with their sign-offs, the implementation board and the actors."""
