"""Photos and PDFs kept with visits and follow-ups (走访留痕)."""
