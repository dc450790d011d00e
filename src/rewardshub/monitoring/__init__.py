"""What the operator's monitoring reads: readiness (/readyz) and Prometheus metrics (/metrics)."""
