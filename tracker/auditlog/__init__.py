"""The audit log page (blueprint `auditlog`, /audit)."""
