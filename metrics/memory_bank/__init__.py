"""The memory bank: three Markdown files that brief an AI agent on the record.

Deliberately free of imports, so that ``writer`` can run in a bare Python process
(the crash test kills one between write and rename)."""
