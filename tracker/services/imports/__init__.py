"""Imports (数据导入) and exports in the import layout.

importer: dry run, per-row report, all-or-nothing or valid-rows-only commit; spreadsheets: reading a
CSV/xlsx upload safely; uploads: keeping a file between dry run and commit; exporter: the same
layout back out (round trip).
"""
