"""End-to-end tests: real pyLoad processes (and the simulator)."""
