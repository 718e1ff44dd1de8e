"""Pages of the press desk (a party's statements, drafted, approved, withdrawn) and of the public side (the released
statements, for anyone)."""
