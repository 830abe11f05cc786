"""Attraction projects (招引项目, plan §1): channels, projects and weekly notes, progress by channel,
import/export and demo data."""
