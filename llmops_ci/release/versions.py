"""Semantic versions (``x.y.z`` with an optional ``-pre.release``), ordered by semver precedence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["patch", "minor", "major"]
LEVELS: tuple[Level, ...] = ("patch", "minor", "major")
#: The version of an artifact's first release (see the README: 1.0.0, because a release is something
#: environments may run; 0.x would make every breaking change a minor one).
FIRST_VERSION = "1.0.0"

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?$")


def level_rank(level: Level) -> int:
    return LEVELS.index(level)


def highest(levels: list[Level]) -> Level | None:
    if not levels:
        return None
    return max(levels, key=level_rank)


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a semantic version such as 1.4.0")
        major, minor, patch, pre = match.groups()
        return cls(int(major), int(minor), int(patch), pre)

    @classmethod
    def is_valid(cls, text: str) -> bool:
        return _SEMVER.match(text) is not None

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")

    def bump(self, level: Level) -> Version:
        if level == "major":
            return Version(self.major + 1, 0, 0)
        if level == "minor":
            return Version(self.major, self.minor + 1, 0)
        if self.pre:  # 1.4.0-rc.1 + patch = 1.4.0
            return Version(self.major, self.minor, self.patch)
        return Version(self.major, self.minor, self.patch + 1)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        pre: tuple[tuple[int, int, str], ...] = ()
        if self.pre:
            pre = tuple(
                (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.pre.split(".")
            )
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()
