"""Who may alert: operators' signing keys, signed events and approvals, the two-person rule."""
