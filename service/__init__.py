"""Forescale's HTTP API for SREs (FastAPI): a thin shell over `scaler`."""
