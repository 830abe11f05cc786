"""Reports (通报): the monthly dispatch report (月调度通报) as Word or Excel, scoped to the reader."""
