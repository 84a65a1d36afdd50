"""Scenario files: model, loader and timeline."""
