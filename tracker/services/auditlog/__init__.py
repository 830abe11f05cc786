"""Reading the audit log (操作日志); writing a row is tracker.services.audit."""
