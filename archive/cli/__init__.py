"""The ``edittrail`` command line: one module per group of commands."""
