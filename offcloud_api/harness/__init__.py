"""The test and demo harness: a headless pyLoad (runner), pyLoad beside the simulator (stack),
the demo.

Users never need this package; what they run is in :mod:`offcloud_api.install`, which never imports
it (the harness imports from there). Nothing here is imported by the plugins.
"""
