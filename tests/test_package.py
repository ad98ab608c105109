"""ganlib's docstring lists every module it ships."""

import pkgutil

import ganlib


def test_the_package_docstring_names_every_module_once():
    modules = {m.name for m in pkgutil.iter_modules(ganlib.__path__)}
    listed = [name for name in modules if f"ganlib.{name}`" in ganlib.__doc__]
    assert sorted(listed) == sorted(modules)
