"""pyLoad integration: plugin installer, in-pyLoad transport and a headless pyLoad controller."""
