"""User administration and system status (blueprint `admin`, /admin)."""
