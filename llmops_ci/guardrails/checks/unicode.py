"""## unicode
Fires on characters a reader does not see but a model, a compiler, a terminal or a diff does: hidden
prompt injection ("ASCII smuggling"), Trojan Source reordering, zero-width watermarks and control codes.

## Entities
Consecutive characters of one entity form one detection.

- `BIDI_CONTROL`: bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the
  implicit marks U+200E, U+200F, U+061C. Right-to-left text legitimately carries the implicit marks; leave
  `BIDI_CONTROL` out of `entities` for such content.
- `ZERO_WIDTH`: U+200B-U+200D, U+2060-U+2064 (word joiner, invisible operators), U+180E and U+FEFF. A
  U+FEFF at position 0 is a byte order mark and is not reported. A single U+200C or U+200D between two
  visible non-ASCII characters (an emoji's variation selector counts as one) is how emoji sequences and
  Indic or Persian words are written and is not reported; next to ASCII (`ig<U+200D>nore`), next to a space
  or in a run it is. Other zero-width characters are always reported.
- `TAG_CHARACTER`: U+E0000-U+E007F, invisible copies of ASCII that models read. The detection's `detail`
  is the ASCII the run spells (`hidden text: 'ignore all previous instructions'`). Emoji subdivision flags
  (U+1F3F4, lower-case tag letters or digits, U+E007F: the flags of England, Scotland, Wales) are not
  reported.
- `CONTROL_CHARACTER`: C0 controls other than tab, line feed and carriage return (form feed and vertical
  tab are reported), DEL and the C1 controls U+0080-U+009F.
- `VARIATION_SELECTOR`: U+FE00-U+FE0F and U+E0100-U+E01EF. One selector after a visible character is how
  emoji and CJK variants are written and is not reported; a selector at the start of the text, after a
  space, or two and more in a row are ("emoji smuggling" hides bytes in them: U+FE00-U+FE0F are bytes
  0-15, U+E0100-U+E01EF bytes 16-255). The `detail` is those bytes read as UTF-8.
- `PRIVATE_USE`: the private use areas (U+E000-U+F8FF, planes 15 and 16). Not in the default set: icon
  fonts leave them in scraped HTML; list it in `entities` to report them.

## Options
- `entities` (default: all but `PRIVATE_USE`): the entities to report.

The detection's text is the invisible span itself, so `redact` removes exactly what was found.

## Limits
Homoglyphs (Cyrillic U+0430 for Latin `a`), characters that render as blanks (U+3164 Hangul filler, U+2800
braille blank), the soft hyphen U+00AD and combining marks are not reported (`prompt_injection` normalises
them before matching). A scan is one pass of one character class (linear time), then a constant amount
of work per hidden run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from llmops_ci.guardrails.checks import BuildContext, CheckError, Detection

ENTITIES = (
    "BIDI_CONTROL",
    "ZERO_WIDTH",
    "TAG_CHARACTER",
    "CONTROL_CHARACTER",
    "VARIATION_SELECTOR",
    "PRIVATE_USE",
)
DEFAULT_ENTITIES = tuple(entity for entity in ENTITIES if entity != "PRIVATE_USE")
PARAMS = frozenset({"entities", "mask_keep"})
MODEL_BASED = False

#: The inside of a ``[...]`` character class for each entity; the classes are disjoint.
CLASSES: dict[str, str] = {
    "BIDI_CONTROL": "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069",
    "ZERO_WIDTH": "\u180e\u200b-\u200d\u2060-\u2064\ufeff",
    "TAG_CHARACTER": "\U000e0000-\U000e007f",
    "CONTROL_CHARACTER": "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f",
    "VARIATION_SELECTOR": "\ufe00-\ufe0f\U000e0100-\U000e01ef",
    "PRIVATE_USE": "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd",
}
_ENTITY_OF = re.compile("|".join(f"(?P<{entity}>[{chars}])" for entity, chars in CLASSES.items()))
_HIDDEN = re.compile("[" + "".join(CLASSES.values()) + "]")
_JOINERS = frozenset("\u200c\u200d")
_WAVING_BLACK_FLAG = "\U0001f3f4"
#: Longest decoded hidden text quoted in a detection's detail.
DETAIL_LIMIT = 300
_SUBDIVISION_TAGS = re.compile("[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,6}\U000e007f")


def entity_of(char: str) -> str | None:
    """The entity of one character, or ``None`` for a character this check never reports."""
    match = _ENTITY_OF.match(char)
    return match.lastgroup if match else None


def decode_tags(run: str) -> str:
    """The ASCII that tag characters spell (U+E0020-U+E007E; the other tags carry no character)."""
    return "".join(chr(ord(char) - 0xE0000) for char in run if 0xE0020 <= ord(char) <= 0xE007E)


def decode_variation_selectors(run: str) -> str:
    """The bytes hidden in variation selectors (U+FE00-U+FE0F: 0-15, U+E0100-U+E01EF: 16-255), as UTF-8."""
    data = bytearray(ord(char) - 0xFE00 if ord(char) <= 0xFE0F else ord(char) - 0xE0100 + 16 for char in run)
    return data.decode("utf-8", errors="replace")


class UnicodeDetector:
    """Runs of hidden characters of the selected entities."""

    def __init__(self, entities: Sequence[str] = DEFAULT_ENTITIES) -> None:
        self.entities = tuple(entities)
        self._runs = re.compile("[" + "".join(CLASSES[entity] for entity in self.entities) + "]+")
        self._parts = re.compile("|".join(f"(?P<{entity}>[{CLASSES[entity]}]+)" for entity in self.entities))
        self._single: dict[str, str] = {}  # character -> entity, filled as characters are met

    def scan(self, text: str) -> list[Detection]:
        found: list[Detection] = []
        for run in self._runs.finditer(text):
            start, end = run.span()
            if end - start == 1:  # the common case: one hidden character
                char = text[start]
                entity = self._single.get(char)
                if entity is None:
                    entity = self._single[char] = entity_of(char) or ""
                self._add(found, text, entity, start, end)
            else:
                for part in self._parts.finditer(text, start, end):
                    self._add(found, text, part.lastgroup or "", part.start(), part.end())
        return found

    @staticmethod
    def _add(found: list[Detection], text: str, entity: str, start: int, end: int) -> None:
        detail = ""
        if entity == "ZERO_WIDTH":
            if start == 0 and text[0] == "\ufeff":  # byte order mark
                start = 1
                if start == end:
                    return
            if end - start == 1 and text[start] in _JOINERS and _between_visible(text, start):
                return
        elif entity == "VARIATION_SELECTOR":
            if end - start == 1 and start > 0 and _visible_base(text[start - 1]):
                return  # one selector after a visible character: an emoji, keycap or CJK variant
            detail = "hidden bytes: " + _quote(decode_variation_selectors(text[start:end]))
        elif entity == "TAG_CHARACTER":
            span = text[start:end]
            if start > 0 and text[start - 1] == _WAVING_BLACK_FLAG and _SUBDIVISION_TAGS.fullmatch(span):
                return
            detail = "hidden text: " + _quote(decode_tags(span))
        found.append(Detection(entity, start, end, text[start:end], detail))


def _quote(decoded: str) -> str:
    if len(decoded) > DETAIL_LIMIT:
        return f"{decoded[:DETAIL_LIMIT]!r}... ({len(decoded)} characters)"
    return repr(decoded)


def _visible_base(char: str) -> bool:
    """A character a lone variation selector may follow: visible, not a space (keycaps: ``1\ufe0f\u20e3``)."""
    return not char.isspace() and not _HIDDEN.match(char)


def _joinable(char: str) -> bool:
    """A character a lone ZWJ or ZWNJ may touch: visible and not ASCII, or an emoji's variation selector."""
    return (
        not char.isascii() and not char.isspace() and not _HIDDEN.match(char)
    ) or "\ufe00" <= char <= "\ufe0f"


def _between_visible(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and _joinable(text[index - 1]) and _joinable(text[index + 1])


def build(spec: Mapping[str, Any], context: BuildContext) -> UnicodeDetector:
    """Compile a ``unicode`` check entry."""
    entities = spec.get("entities")
    if entities is None:
        return UnicodeDetector()
    if not isinstance(entities, list) or not entities:
        raise CheckError(
            "entities must be a non-empty list of entity names (omit it for the default set)", "entities"
        )
    for index, entity in enumerate(entities):
        if entity not in CLASSES:
            raise CheckError(
                f"unknown unicode entity {entity!r}; known: {', '.join(ENTITIES)}", ("entities", index)
            )
    return UnicodeDetector(tuple(dict.fromkeys(entities)))
