"""Components named by dotted path in settings, loaded the way Scrapy loads its components.

Every extension point (CMS adapters, document readers, monitor rules, hooks run when a report is
filed) is a mapping or list of dotted paths in settings. ``load_object`` imports one and says
clearly which setting named what when it cannot: a typo in settings.yaml is a one-line error,
not a traceback from deep inside a crawl.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import Any

from core.errors import UsageError


class ComponentError(UsageError):
    """A component named in settings cannot be loaded (exit code 2)."""


@cache
def load_object(path: str, setting: str = "settings") -> Any:
    """The object ``path`` (``package.module.Name`` or ``package.module:Name``) names."""
    module_name, sep, name = path.rpartition(":") if ":" in path else path.rpartition(".")
    if not sep or not module_name or not name:
        raise ComponentError(f"{setting}: {path!r} is not a dotted path such as 'package.module.ClassName'")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise ComponentError(f"{setting}: cannot import module {module_name!r} named by {path!r}: {exc}") from exc
    try:
        return getattr(module, name)
    except AttributeError:
        raise ComponentError(f"{setting}: module {module_name!r} has no {name!r} (named by {path!r})") from None


def load_objects(paths: list[str] | tuple[str, ...], setting: str = "settings") -> list[Any]:
    """Each of ``paths`` loaded, in order."""
    return [load_object(p, setting) for p in paths]
