"""政策"快享直达": the policy registry, who is entitled (computed), claims and coverage (docs/DOMAIN.md §9)."""
