"""诉求 handled as a case (blueprint `followups`): timeline, notes, referral to a department, reply,
manager review, satisfaction call-back; the department list and the review settings."""
