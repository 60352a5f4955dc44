"""The Discord front end: a thin layer that validates, calls services, and formats."""
