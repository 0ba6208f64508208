"""The detect stage: captures into versions and changes, noise learned, edits told from mirror lag."""
