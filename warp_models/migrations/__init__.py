"""The migration engine."""
