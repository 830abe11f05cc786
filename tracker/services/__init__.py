"""Use cases. Each public function that changes data owns its transaction: it commits once and
writes its audit rows in that same transaction, or raises and leaves nothing behind."""
