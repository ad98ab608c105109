"""The language of the messages a learner reads from :mod:`ganlib.checks`.

``GANLIB_LANG`` chooses it: unset or ``en``, English; ``zh`` (or ``zh_CN``, ``zh-Hans``…),
Chinese. The Chinese notebooks set it in their set-up cell. The translations come from
``ganlib/locale/zh/LC_MESSAGES/ganlib.mo``, compiled by ``make zh`` from the catalogues in
``locale/zh/checks/`` (keyed by the English templates of the checks' messages, the
placeholders of an f-string written as its expressions, ``{got:.4f}``).

:func:`translate` turns a finished English message into the chosen language: a message
equal to a template's text is looked up; otherwise the templates with placeholders are
tried, each as a pattern whose placeholders match any text, and the text a placeholder
matched is translated in turn (a message built from other messages). A message no
template matches stays English, and is recorded in :data:`MISSED`: the tests run every
check's cases with ``GANLIB_I18N_AUDIT=1`` (translate, record, still print English) and fail
on any.
"""

from __future__ import annotations

import functools
import gettext
import os
import re
from pathlib import Path

__all__ = ["language", "render", "translate", "MISSED"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "zh")
MISSED: set[str] = set()
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def language() -> str:
    """The language chosen by ``GANLIB_LANG``: ``"en"`` or ``"zh"``."""
    value = os.environ.get("GANLIB_LANG", "").strip().lower().replace("-", "_")
    if value in ("", "en") or value.startswith("en_"):
        return "en"
    if value == "zh" or value.startswith("zh_"):
        return "zh"
    raise ValueError(f"GANLIB_LANG must be one of {', '.join(LANGUAGES)} (or a regional "
                     f"form such as zh_CN), got {os.environ['GANLIB_LANG']!r}")


class _Catalogue:
    """One language's templates: exact texts, and patterns for those with placeholders."""

    def __init__(self, table: dict) -> None:
        self.exact = {k: v for k, v in table.items() if isinstance(k, str) and k}
        self.patterns = []
        for english, translated in self.exact.items():
            names = _PLACEHOLDER.findall(english)
            if not names:
                continue
            literal = _PLACEHOLDER.split(english)
            pattern = "".join(re.escape(part) + ("(.*?)" if i < len(names) else "")
                              for i, part in enumerate(literal))
            self.patterns.append((len("".join(literal)), re.compile(pattern, re.S),
                                  names, translated))
        # the most specific template first: the one with the most literal text
        self.patterns.sort(key=lambda p: -p[0])

    def translate(self, text: str, depth: int = 0, record: bool = True) -> str | None:
        if text in self.exact:
            return self.exact[text]
        if depth > 4:
            return None
        for _, pattern, names, translated in self.patterns:
            found = pattern.fullmatch(text)
            if found is None:
                continue
            values: dict[str, str] = {}
            for name, value in zip(names, found.groups(), strict=True):
                values.setdefault(name, self.fill(value, depth + 1,
                                                  record and "err" not in name))
            return _PLACEHOLDER.sub(lambda m, v=values: v.get(m.group(0), m.group(0)),
                                    translated)
        return None

    def fill(self, value: str, depth: int, record: bool = True) -> str:
        """A placeholder's text: translated when it is itself a message, else as it is
        (recorded in :data:`MISSED` when it reads like an English sentence and is not an
        exception's own text: a placeholder of ``err``, and all within it, keeps what Python
        or torch said)."""
        translated = self.translate(value, depth, record)
        if translated is None:
            if record and _prose(value):
                MISSED.add(value)
            return value
        return translated


@functools.cache
def _catalogue(lang: str) -> _Catalogue:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "ganlib.mo"
    table = {}
    if path.exists():  # absent until `make zh` has compiled a translation
        with open(path, "rb") as f:
            table = gettext.GNUTranslations(f)._catalog  # msgid → msgstr
    return _Catalogue(table)


def _has_words(text: str) -> bool:
    """A word and a space, as the catalogues' messages have (code such as
    ``torch.arange(K).repeat(R)`` is no message to translate)."""
    return " " in text.strip() and re.search(r"(?<![\w.])[A-Za-z]{3,}(?![\w(.])", text) is not None


def _prose(text: str) -> bool:
    """Three English words or more outside quoted code, and not an exception's own text
    (which stays as Python or torch wrote it)."""
    if re.search(r"\w+(Error|Exception|Warning|Interrupt)\b", text):
        return False
    text = re.sub(r"`[^`]*`", " ", text)  # code quoted from the learner's cell
    return len(re.findall(r"(?<![\w.`])[A-Za-z]{2,}(?![\w(`])", text)) >= 3


def translate(text: str) -> str:
    """``text`` in the language of ``GANLIB_LANG`` (see the module's description)."""
    audit = os.environ.get("GANLIB_I18N_AUDIT") == "1"
    lang = "zh" if audit else language()
    if lang == "en" or not text:
        return text
    result = _catalogue(lang).translate(text)
    if result is None:
        if _has_words(text):
            MISSED.add(text)
        result = text
    return text if audit else result


def render(template: str, **values: str) -> str:
    """``template.format(**values)``, the template in the chosen language (the caller
    translates the values)."""
    audit = os.environ.get("GANLIB_I18N_AUDIT") == "1"
    lang = "zh" if audit else language()
    if lang == "en":
        return template.format(**values)
    translated = _catalogue(lang).exact.get(template)
    if translated is None:
        MISSED.add(template)
        translated = template
    return (template if audit else translated).format(**values)
