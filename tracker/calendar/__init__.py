"""节假日与评价窗口: the holiday notices and the tech SME evaluation windows (administrators)."""
