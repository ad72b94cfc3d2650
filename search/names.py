"""How agency names are matched: identity keys, pinyin, typo-tolerant substrings.

* :func:`identity_key` is the form under which a typed name *is* an agency's
  name: NFKC, lower case, spaces and punctuation dropped, brackets dropped
  (their text kept), and trailing legal-form suffixes removed, so that
  ``太原市华信专利代理事务所`` is ``太原市华信专利代理事务所（普通合伙）`` and
  ``上海浦江专利代理有限公司`` is ``上海浦江专利代理``.  An agency whose current or
  former name has the query's key ranks first (the identity tier).
* :func:`pinyin_terms` turns a name into the pinyin tokens the index holds
  (computed once, at indexing time, with pypinyin): every run of 1–4
  consecutive syllables joined (``zexin``, ``taiyuanshi``) and the initials of
  runs of 2–6 syllables (``zx``, ``tysz``), so ``zexin`` and ``tyzx`` find 泽信.
* :func:`name_substrings` are the 4–8 character pieces of a name's key; a
  query of 4+ characters finds the agency with one character wrong (edit
  distance 1) through them.
* :func:`uscc_problem` tells a USCC-shaped query whose check character is
  wrong (GB 32100-2015, via python-stdnum).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .text import normalize

# Legal-form suffixes, longest first; removed repeatedly from the end of a name.
LEGAL_FORMS = (
    "特殊普通合伙", "普通合伙", "有限合伙", "股份有限公司", "有限责任公司", "有限公司",
)
_FORMS = "|".join(LEGAL_FORMS)
_BRACKETED_FORM = re.compile(rf"[(\[](?:{_FORMS})[)\]]$")
_BARE_FORM = re.compile(rf"(?:{_FORMS})$")
# Everything that is not a letter, digit or CJK character is ignored in a name.
_NOT_NAME_CHAR = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MIN_FUZZY_CHARS = 4  # names (queries) shorter than this get no typo tolerance
SUBSTRING_LENGTHS = range(MIN_FUZZY_CHARS, 9)
PINYIN_WINDOW = 4
INITIALS_WINDOW = 6


def identity_key(name: str | None) -> str:
    """The key under which two spellings of a name are the same name ('' if none)."""
    text = re.sub(r"\s+", "", normalize(name))
    while True:
        stripped = _BRACKETED_FORM.sub("", text)
        stripped = _BARE_FORM.sub("", stripped) if stripped == text else stripped
        if stripped == text or not stripped:
            break
        text = stripped
    return _NOT_NAME_CHAR.sub("", text)


def name_substrings(key: str) -> list[str]:
    """Distinct 4–8 character pieces of an identity key (for edit-distance-1 matching)."""
    out: dict[str, None] = {}
    for n in SUBSTRING_LENGTHS:
        for i in range(len(key) - n + 1):
            out[key[i:i + n]] = None
    return list(out)


@lru_cache(maxsize=4096)
def syllables(text: str) -> tuple[str, ...]:
    """Pinyin syllables (no tones) of the CJK characters of ``text``; others are dropped.

    What ``pypinyin.lazy_pinyin(han, errors="ignore")`` gives, worked out the way it does
    (cut into words, each word converted on its own) with each word's pinyin remembered:
    agency names share most of their words (市, 专利代理, 事务所, 知识产权), and
    converting them again was most of the time spent indexing an agency."""
    han = "".join(_HAN.findall(text))
    if not han:
        return ()
    cutter, _ = _pinyin()
    return tuple(s for word in cutter.seg(han) for s in _word_syllables(word))


def load_pinyin() -> None:
    """Load pypinyin's tables now rather than at the first name (a rebuild does, like the
    segmenter's dictionary, before it forks the workers that then share them)."""
    _pinyin()


@lru_cache(maxsize=1)
def _pinyin():
    """(pypinyin's word cutter, its converter) as ``lazy_pinyin`` sets them up."""
    from pypinyin.converter import UltimateConverter
    from pypinyin.core import Pinyin

    converter = UltimateConverter()
    return Pinyin(converter), converter


@lru_cache(maxsize=65_536)
def _word_syllables(word: str) -> tuple[str, ...]:
    from pypinyin import Style

    _, converter = _pinyin()
    converted = converter.convert(word, Style.NORMAL, False, "ignore", strict=True)
    return tuple(s for item in converted for s in item if s)


def pinyin_terms(names: list[str]) -> list[str]:
    """Pinyin tokens of names: runs of consecutive syllables, and initials of runs."""
    out: dict[str, None] = {}
    for name in names:
        syl = syllables(identity_key(name))
        initials = [s[0] for s in syl]
        for i in range(len(syl)):  # each run grown one syllable at a time
            run = ""
            for part in syl[i:i + PINYIN_WINDOW]:
                run += part
                out[run] = None
            run = initials[i]
            for part in initials[i + 1:i + INITIALS_WINDOW]:
                run += part
                out[run] = None
        if syl:
            out["".join(initials)] = None  # initials of the whole name
    return list(out)


# -- identifiers -------------------------------------------------------------------

_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}\d{6}[0-9A-HJ-NP-RTUW-Y]{10}$")


def uscc_problem(text: str) -> tuple[str, str] | None:
    """(typed, corrected) when ``text`` is shaped like a USCC whose check character is wrong."""
    from stdnum.cn import uscc as uscc_mod

    code = re.sub(r"\s+", "", normalize(text)).upper()
    if not _USCC_SHAPE.match(code):
        return None
    try:
        expected = uscc_mod.calc_check_digit(code[:17])
    except Exception:  # noqa: BLE001 - a character outside the alphabet: not a USCC
        return None
    if expected == code[17]:
        return None
    return code, code[:17] + expected


def uscc_is_valid(code: str) -> bool:
    from stdnum.cn import uscc as uscc_mod

    return bool(uscc_mod.is_valid(code))
