"""Designations (资质认定): grant and revoke (grants), and read a company's designations (queries)."""
