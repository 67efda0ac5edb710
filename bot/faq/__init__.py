"""The FAQ: entries as staff keep them, and the matcher that finds one for a question."""
