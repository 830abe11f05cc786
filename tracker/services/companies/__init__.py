"""Companies (企业库): the records, the scoped list and page, the export, yearly figures, home counts.

records: create, edit, soft-delete, restore; queries: the filtered list and one company's page;
export: the filtered list as xlsx/CSV; figures: yearly figures (企业年度数据);
stage_counts: the home page's counts per stage.
"""
