"""Steering the running campaign (docs/monitoring.md): forecasts, alerts, the support planner and its deployments."""
