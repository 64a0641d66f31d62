"""Moving work in and out of qualcode: tables, REFI-QDA."""
