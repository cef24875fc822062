"""World parameters with validation that names the offending key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from xllm_kedro.world.languages import TARGETS


@dataclass(frozen=True)
class WorldParams:
    seed: int = 0
    languages: tuple[str, ...] = TARGETS
    monolingual_en: int = 20000  # English lines (the pretraining corpus)
    monolingual_target: int = 2000  # lines per target language
    parallel: int = 4000  # En-X pairs per target language
    alpaca: int = 1000  # instruction records (the same items in every language)
    qa: int = 200  # evaluation QA items
    multiway: int = 200  # multi-way dev sentences
    devtest: int = 200  # multi-way devtest sentences (0: none)
    context_sentences: int = 3  # sentences per QA context
    question_share: float = 0.5  # share of monolingual stories followed by a question and its answer
    echo_share: float = 0.3  # share of monolingual statements repeated verbatim on the next line
    copy_lines: int = 0  # the base's copy curriculum: "w1 .. wk = w1 .. wk" lines and "repeat the list" items
    copy_languages: tuple[str, ...] = ("en",)  # whose words fill the copy lists (one language per list)
    near_shared: float = 0.0  # share of English words qaa keeps verbatim (> 0: its function words too)
    mid_shared: float = 0.0  # share of English words qab keeps verbatim

    def as_dict(self) -> dict:
        d = asdict(self)
        d["languages"] = list(self.languages)
        d["copy_languages"] = list(self.copy_languages)
        return d


_MINIMUM = {"copy_lines": 0, "monolingual_en": 1, "monolingual_target": 0, "parallel": 1, "alpaca": 1, "qa": 1, "multiway": 2,
            "devtest": 0, "context_sentences": 1}


def _codes(codes, allowed: list[str], where: str) -> tuple[str, ...]:
    """A non-empty list of distinct language codes, each in ``allowed``."""
    if isinstance(codes, str) or not codes or any(c not in allowed for c in codes) or len(set(codes)) != len(codes):
        raise ValueError(f"{where}: must be a non-empty list of distinct codes from {allowed}, got {codes!r}")
    return tuple(codes)


def world_params(values: Mapping | None = None, *, where: str = "world parameters") -> WorldParams:
    """Check every key and value; errors read ``<where>.<key>: ...``."""
    values = dict(values or {})
    known = {f.name for f in fields(WorldParams)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    for key, low in _MINIMUM.items():
        if key in values and (not isinstance(values[key], int) or isinstance(values[key], bool) or values[key] < low):
            raise ValueError(f"{where}.{key}: must be an integer >= {low}, got {values[key]!r}")
    if "seed" in values and (not isinstance(values["seed"], int) or isinstance(values["seed"], bool)):
        raise ValueError(f"{where}.seed: must be an integer, got {values['seed']!r}")
    for key in ("question_share", "echo_share", "near_shared", "mid_shared"):
        share = values.get(key, 0.0)
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 <= share <= 1:
            raise ValueError(f"{where}.{key}: must be a number in [0, 1], got {share!r}")
    values["languages"] = _codes(values.get("languages", TARGETS), list(TARGETS), f"{where}.languages")
    values["copy_languages"] = _codes(values.get("copy_languages", ("en",)), ["en", *values["languages"]],
                                      f"{where}.copy_languages")
    return WorldParams(**values)
