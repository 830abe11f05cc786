"""Notifications (消息/提醒): the reminder sweep, digests, immediate notices, the inbox and the outbox.

- sweep: the daily reminder sweep and its catch-up (beat, `flask reminders sweep`)
- digests: weekly officer digests, monthly manager reports
- notify: immediate notices other use cases send (follow-up assigned / escalated)
- inbox: a user's own list, read marks, preferences, the test email
- outbox: publishing send tasks after the commit; outbox_admin: the administrators' outbox page
- mailer: delivering a row (claim, render, SMTP or file, outcome); mail_folder: the .eml folder
- rows, queries, runs, settings: the shared pieces (row building and insert, the aggregate
  queries the rules read, periodic run records, configured thresholds)
"""
