"""Home page, health check and the Jinja helpers every template uses (blueprint `main`)."""
