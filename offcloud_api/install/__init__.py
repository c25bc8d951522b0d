"""What users run against a pyLoad from outside: the plugin installer, the login into pyLoad, and
the one client for pyLoad's web API.

Nothing here imports the test and demo harness (:mod:`offcloud_api.harness`); nothing here is
imported by the plugins, whose code is in :mod:`offcloud_api.pyload`.
"""
