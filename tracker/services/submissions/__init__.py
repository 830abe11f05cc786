"""One-time submission tokens: a create form saved twice creates one record (防重复提交)."""
