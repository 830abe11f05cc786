"""The working-day calendar as data (节假日安排) and the tech SME evaluation windows (科小评价窗口)."""
