"""The operator's tools: status, audit and backup of an archive."""
