"""A song, not eight loose lines: sections in a form, and a chorus that comes back word for word.

Each section is written as a continuation of the song so far, so the second verse follows the
first chorus; the chorus is written once and repeated verbatim wherever the form brings it
back. Every section draws from its own RNG seed, derived from the song's, so the same settings
and seed write the same song — alone, or while others write theirs in the same batch.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, replace

from lyriccore.errors import ConfigError
from lyriccore.generator import Generator
from lyriccore.sampling import SamplingParams

DEFAULT_FORM = "verse-chorus-verse-chorus-bridge-chorus"
SECTION_LINES = {"intro": 2, "verse": 4, "pre-chorus": 2, "chorus": 4, "bridge": 2, "outro": 2}
REPEATED = frozenset({"chorus", "pre-chorus"})  # written once, then sung again as they were
MAX_SECTIONS = 12


@dataclass(frozen=True)
class Section:
    label: str  # "Verse 2", "Chorus"
    text: str


@dataclass(frozen=True)
class Song:
    sections: tuple[Section, ...]
    rng_seed: int
    model_version: str

    @property
    def text(self) -> str:
        return "\n\n".join(f"[{s.label}]\n{s.text}" for s in self.sections)


def parse_form(text: str | None) -> tuple[str, ...]:
    """'verse-chorus-verse-chorus' → its section names, or one clear line on what is wrong."""
    names = tuple(p.strip().lower() for p in (text or DEFAULT_FORM).replace(",", "-").split("-"))
    names = tuple(_joined_pre_chorus(names))
    unknown = sorted({n for n in names if n not in SECTION_LINES})
    if unknown or not names:
        known = ", ".join(SECTION_LINES)
        raise ConfigError(f"a song form is sections joined by '-' ({known}), not {text!r}")
    if len(names) > MAX_SECTIONS:
        raise ConfigError(f"a song has at most {MAX_SECTIONS} sections; that form has {len(names)}")
    return names


def _joined_pre_chorus(parts: tuple[str, ...]) -> list[str]:
    """'pre-chorus' is one section even though the form is split at '-'."""
    names: list[str] = []
    for part in parts:
        if part == "chorus" and names and names[-1] == "pre":
            names[-1] = "pre-chorus"
        else:
            names.append(part)
    return names


def sections_written(form: tuple[str, ...]) -> int:
    """How many sections are written (a repeated chorus once), the measure of a song's cost."""
    return sum(n not in REPEATED for n in form) + len({n for n in form if n in REPEATED})


def write_song(
    generator: Generator,
    seed: str,
    params: SamplingParams,
    form: tuple[str, ...],
    *,
    cancel: threading.Event | None = None,
) -> Song:
    """Write `form` from `seed`; `params` shape every section (its `lines` are the section's)."""
    assert params.rng_seed is not None, "a song needs its RNG seed fixed up front"
    sections: list[Section] = []
    written: dict[str, str] = {}
    counts: Counter[str] = Counter(form)
    seen: Counter[str] = Counter()
    version = generator.model.version
    for index, name in enumerate(form):
        seen[name] += 1
        label = _label(name, seen[name], counts[name])
        if name in REPEATED and name in written:
            sections.append(Section(label, written[name]))
            continue
        context = _context(seed, sections)
        section_params = replace(
            params, lines=SECTION_LINES[name], rng_seed=params.rng_seed + index,
            stanza_breaks=False,
        )  # fmt: skip
        result = generator.submit(context, section_params, cancel=cancel).result()
        text = (result.texts[0] if not sections else result.continuations[0]).strip("\n")
        version = result.model_version
        written[name] = text
        sections.append(Section(label, text))
    return Song(tuple(sections), params.rng_seed, version)


def _label(name: str, number: int, total: int) -> str:
    title = name.title()
    return f"{title} {number}" if total > 1 and name not in REPEATED else title


def _context(seed: str, sections: list[Section]) -> str:
    """What the model continues: the song so far (its lyrics only, no labels), ending a line
    so that the next section starts one; or, for the first, the seed."""
    if not sections:
        return seed
    return "\n\n".join(s.text for s in sections) + "\n\n"
