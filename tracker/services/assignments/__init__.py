"""Service officers and their companies (服务专员分配).

assign: which officers a user may pick, and the bulk (re)assignment use case (history kept);
workload: the officer workload table (专员工作量) over the companies each officer serves.
"""
