"""The ``annual_reports`` spider."""
