"""The officers' static site: board, report pages, findings and year-on-year comparisons."""
