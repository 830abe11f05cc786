"""Support records on each company (扶持记录, docs/DOMAIN.md §9): records (write), queries (read, filter, export)."""
