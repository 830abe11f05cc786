"""Visits (走访) and follow-ups (诉求): logging visits, handling follow-ups, who is due a visit, My work."""
