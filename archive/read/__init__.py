"""The researcher's side: versions, diffs, changes as rows and exports, read back from the index and WARCs."""
