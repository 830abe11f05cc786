"""Accounts and signing in: users, passwords, activation, the login throttle (登录失败限制)."""
