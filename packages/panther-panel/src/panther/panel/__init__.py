"""An admin panel for Panther (distribution ``panther-panel``, plugin ``panel``) that is safe to run in production.

Mount ``panther.panel.urls.url_routing`` under a prefix of your choice (``urls = {"panel/": url_routing}``). Only
staff users (``BaseUser.is_staff``, ``panther createuser --staff``) can log in; every form carries a CSRF token,
every page is autoescaped and loads its CSS and JavaScript from the package. The managed models are
``PANEL_MODELS``, or by default the models the app's routes use plus ``USER_MODEL``.
"""
