"""The business process: one durable candidate-callback run per candidate, and what surrounds it."""
