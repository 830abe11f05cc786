"""政策直达 blueprint (/policies): coverage, drill-downs, claims, the policy editor."""
