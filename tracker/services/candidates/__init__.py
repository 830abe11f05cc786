"""Candidates (精准挖掘) and the company profile (科创属性画像).

ranking: who could reach a rung this year, ranked with their reasons (page, export);
profile: one company's pre-check of every rung above its stage, and the data it lacks.
"""
