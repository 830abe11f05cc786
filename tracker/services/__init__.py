"""Use cases, one sub-package per feature, beside a small shared kernel.

Each public function that changes data is one use case: it runs in `unit_of_work` (commit on
success, roll back on any error, publish queued notifications after the commit) and writes its
audit rows in that same transaction, or raises a ServiceError and leaves nothing behind. The
kernel modules here (audit, caching, errors, exports, pagination, scoping, stages, unit_of_work) are the
ones many features share; docs/ARCHITECTURE.md maps the rest.
"""
