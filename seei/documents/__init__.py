"""Documents SEEI generates from its data (minutes, receipts): plain Python, no models."""
