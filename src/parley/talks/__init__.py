"""Talks: processes (official talks, back channels, military-to-military channels), actors, rounds and meetings,
tracks and points with each party's positions, statements and claims with their sources, joint texts with
versions and sign-offs, and each party's assessment of how far an agreed point is implemented."""
