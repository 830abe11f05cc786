"""Registry lists and forms (blueprint `registries`, /registries)."""
