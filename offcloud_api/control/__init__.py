"""Code that drives a pyLoad from outside: the plugin installer, a headless pyLoad, the demo.

Nothing here is imported by the plugins; what runs inside pyLoad is in :mod:`offcloud_api.pyload`.
"""
