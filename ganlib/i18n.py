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
on any. :func:`render` formats one of the checks' own templates in the chosen language;
:func:`translate_verdict` turns a printed ✅/❌ line into the one the chosen language prints
(``make zh`` uses it for the Chinese notebooks' stored outputs).
"""

from __future__ import annotations

import functools
import gettext
import os
import re
import warnings
from pathlib import Path
from typing import NamedTuple

__all__ = ["language", "render", "translate", "translate_verdict", "MISSED"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "zh")
MISSED: set[str] = set()
_WARNED: set[str] = set()
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def language() -> str:
    """The language chosen by ``GANLIB_LANG``: ``"en"`` or ``"zh"`` (Simplified Chinese, also
    for ``zh_CN``, ``zh-Hans`` and the like). Any other value warns once and means English:
    a check must answer, not raise."""
    value = os.environ.get("GANLIB_LANG", "").strip().lower().replace("-", "_")
    if value in ("", "en") or value.startswith("en_"):
        return "en"
    if value == "zh" or value.startswith("zh_"):
        return "zh"
    if value not in _WARNED:
        _WARNED.add(value)
        warnings.warn(f"GANLIB_LANG must be one of {', '.join(LANGUAGES)} (or a regional form "
                      f"such as zh_CN), got {os.environ['GANLIB_LANG']!r}: the checks answer "
                      "in English", stacklevel=2)
    return "en"


_FRAMES = ("✅ {name}: correct — {detail}", "✅ {name}: correct",
           "❌ {name}: {problem} — hint: {hint}", "❌ {name}: {problem}")


class _Template(NamedTuple):
    """A template with placeholders, as a pattern: each placeholder matches any text (the
    same text where it appears twice)."""

    english: str
    translated: str
    literal: int
    pattern: re.Pattern

    @classmethod
    def of(cls, english: str, translated: str) -> _Template:
        parts, groups = [], {}
        names = _PLACEHOLDER.findall(english)
        for n, piece in enumerate(_PLACEHOLDER.split(english)):
            parts.append(re.escape(piece))
            if n < len(names):
                name = names[n]
                if name in groups:
                    parts.append(f"(?P={groups[name]})")
                else:
                    groups[name] = f"g{len(groups)}"
                    parts.append(f"(?P<{groups[name]}>.*?)")
        return cls(english, translated, len(_PLACEHOLDER.sub("", english)),
                   re.compile("".join(parts), re.S))

    def match(self, text: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(text)
        if found is None:
            return None
        names = dict.fromkeys(_PLACEHOLDER.findall(self.english))
        return dict(zip(names, found.groups(), strict=True))

    def fill(self, values: dict[str, str]) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), self.translated)


class _Catalogue:
    """One language's templates: exact texts, and patterns for those with placeholders."""

    def __init__(self, table: dict) -> None:
        self.exact = {k: v for k, v in table.items() if isinstance(k, str) and k}
        self.patterns: list[_Template] = []
        for english, translated in self.exact.items():
            if _PLACEHOLDER.search(english):
                self.patterns.append(_Template.of(english, translated))
        # the most specific template first: the one with the most literal text
        self.patterns.sort(key=lambda t: -t.literal)
        # whole verdict lines of ganlib.checks (not the frames, which hold other messages)
        self.verdicts = [t for t in self.patterns if t.english.startswith(("✅ {name}: ",
                         "❌ {name}: ")) and t.english not in _FRAMES]

    def translate(self, text: str, depth: int = 0, record: bool = True) -> str | None:
        if text in self.exact:
            return self.exact[text]
        if depth > 4:
            return None
        for template in self.patterns:
            values = template.match(text)
            if values is not None:
                # an exception's text stays as Python or torch wrote it
                return template.fill({k: v if "err" in k else self.fill(v, depth + 1, record)
                                      for k, v in values.items()})
        return None

    def message(self, text: str) -> str:
        """A message translated, or as it is."""
        translated = self.translate(text) if text else text
        return text if translated is None else translated

    def verdict(self, line: str) -> str:
        """A check's printed line as ganlib.checks builds it in this language: a verdict
        template of the checks' own that matches the whole line first (not implemented yet,
        your code raised …), else the line's frame, with its name, detail, problem and hint
        translated each on its own. An exception's text stays as printed, and so does the
        place of a learner's error that follows it (the build uses this for stored outputs,
        none of which holds such a line)."""
        if not line.startswith(("✅ ", "❌ ")):
            return line
        for template in self.verdicts:
            values = template.match(line)
            if values is not None:
                return template.fill({k: v if "err" in k else self.message(v)
                                      for k, v in values.items()})
        mark, _, rest = line.partition(" ")
        name, _, rest = rest.partition(": ")
        values = {"name": self.message(name)}
        if mark == "✅":
            template = _FRAMES[0] if rest.startswith("correct — ") else _FRAMES[1]
            values["detail"] = self.message(rest.removeprefix("correct").removeprefix(" — "))
        else:
            problem, sep, hint = rest.partition(" — hint: ")
            template = _FRAMES[2] if sep else _FRAMES[3]
            values.update(problem=self.message(problem), hint=self.message(hint))
        return self.exact.get(template, template).format(**values)

    def fill(self, value: str, depth: int, record: bool = True) -> str:
        """A placeholder's text: translated when it is itself a message, else as it is
        (recorded in :data:`MISSED` when it reads like an English sentence)."""
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


def translate_verdict(line: str) -> str:
    """A check's printed line (``✅ name: correct — …``, ``❌ name: … — hint: …``) as the checks
    print it in the language of ``GANLIB_LANG`` (see :meth:`_Catalogue.verdict`)."""
    lang = language()
    return line if lang == "en" else _catalogue(lang).verdict(line)
