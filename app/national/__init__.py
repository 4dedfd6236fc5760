"""The national area and postcode files: reading them, importing them, and re-division."""
