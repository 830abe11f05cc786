"""A company's activity stream (企业动态) on its page and on a page of its own (blueprint `activity`)."""
