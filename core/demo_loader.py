"""The demo data of every installed app, found by name: an app that has demo data gives it a
``demo`` module with

- ``ORDER``: when it loads, lowest first (an app's data may build on the data of a lower one:
  accounts 10, projects 20, budgets 30, reports 40);
- ``load()``: creates what is missing and changes nothing on a second run;
- optionally ``summary(result)``: a few words on what ``load()`` created, for the command's
  closing line;
- optionally ``logins()``: the demo password and each demo login (username, real name, role),
  for ``portal_info``.

``load_demo`` and ``portal_info`` find them here, without naming any app."""

from __future__ import annotations

import importlib
from types import ModuleType

from django.apps import apps
from django.utils.module_loading import module_has_submodule


def demo_modules() -> list[ModuleType]:
    """Every installed app's ``demo`` module, in ``ORDER`` (then in ``INSTALLED_APPS`` order)."""
    modules = [
        importlib.import_module(f"{config.name}.demo")
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "demo")
    ]
    return sorted(modules, key=lambda module: module.ORDER)
