"""The plan's 12 indicators (指标完成情况) against its targets.

scope: whose figures a user sees; definitions: each indicator as SQL clauses; rollup: all figures as
of a date; drill_down: the records behind a figure; projection: the year end of indicators 1–4;
cohorts: rung-to-rung conversion; dashboard: the page's data and its cache; targets: the plan's
targets; workbook: the xlsx in the plan's layouts; tokens: API tokens for /api/v1/indicators.
"""
