"""Key-company accompaniment (重点企业陪伴计划, docs/DOMAIN.md §9): keylist (the yearly list and the
quarter review), records (diagnoses 把脉 and the follow-ups they raise)."""
