"""Routers of the API Lambda, one per resource."""
