"""Sign in, sign out, confirm the password, change it (blueprint `auth`)."""
