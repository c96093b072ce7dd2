"""Renderers for the reconciliation report and the KPI scorecard: rich, JSON and HTML."""
