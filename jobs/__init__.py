"""RQ entry points: thin functions that take ids."""
