"""Text handling shared by indexing and querying: normalisation, segmentation,
bigrams for phrases, and highlighting on the original text.

* Every string, at index and at query time, goes through :func:`normalize`
  (NFKC: full-width ``（）ＡＢＣ１２３`` become ``()ABC123``; lower case; control
  characters dropped), so full- and half-width forms match each other.
* Words come from a jieba segmenter loaded with the domain word list
  (``search/data/domain_words.txt`` plus the controlled vocabularies): rjieba
  (Rust, fast) for tantivy, jieba (pure Python) for Whoosh.  Documents are cut
  in *search mode* so that ``专利代理`` also finds ``专利代理事务所``.
* Phrases do not depend on the segmenter at all: every text is also indexed as
  overlapping character bigrams with consecutive positions, so a quoted phrase
  is a phrase query over bigrams, i.e. an exact substring match after
  normalisation.  This is what makes quoted phrases work on both engines.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from markupsafe import Markup, escape

DATA_DIR = Path(__file__).resolve().parent / "data"
MAX_QUERY_CHARS = 200  # a query is truncated to this many characters
GAP = "¦"  # a token that separates fields in the bigram stream (no phrase crosses it)

# Control and format characters (Cc, Cf: zero-width, bidi overrides, BOM) and
# every kind of whitespace become a plain space.
_CONTROL_RE = re.compile(
    r"[\s\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u180e\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)
# CJK ideographs (basic + extension A + compatibility) form bigrams.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # as a character class's contents
_CJK = re.compile(f"[{_HAN}]")
# Characters jieba's full mode cuts into dictionary words (its Han range; it cuts each run
# of them on its own).
_FULL_MODE_WORD = re.compile(r"[\u4e00-\u9fd5]{2,}")
# A "word character" run: CJK, letters or digits.
_RUN = re.compile(f"[{_HAN}]+|[0-9a-z]+")
# A token (of several joined by NUL) holding a word character: what search mode indexes.
_WORD_TOKEN = re.compile(f"[^\\0]*?[{_HAN}0-9a-z][^\\0]*")
# A line of word characters only (then every token of it holds one).
_WORD_LINE = re.compile(f"[{_HAN}0-9a-z]*")
# The tokens of :func:`bigrams`, found in one pass: at each CJK character, the bigram it
# starts (looked ahead; one character consumed), or the character itself when it is a run
# of one; at the start of a run of ASCII letters/digits, the run.  The last character of a
# longer CJK run starts nothing and is passed over.
_BIGRAM = re.compile(f"(?=((?<![{_HAN}])[{_HAN}](?![{_HAN}])|[{_HAN}]{{2}}|(?<![0-9a-z])[0-9a-z]+))"
                     f"(?:[{_HAN}]|[0-9a-z]+)")
# What ends a clause of a normalized text: whitespace and punctuation that are neither word
# characters nor characters jieba keeps inside a block (``+#&._%-``).  jieba cuts each block
# between such characters on its own, and bigrams and Han runs never span them, so a clause
# has the same terms on its own as inside its text.
_CLAUSE_BREAK = re.compile(r"[\s,;:!?()\[\]\"'、。《》“”‘’【】]+")
# Texts up to this long are remembered once made into index terms: the same short texts
# (vocabulary terms, bureau and authority names, standard wording) recur across
# documents, and working them out again is most of what indexing costs.  A longer text
# (a penalty's facts, a case) is made into terms clause by clause, each clause remembered:
# standard wording recurs across decisions.  A process remembers TEXT_CACHE_SIZE texts and
# as many clauses; a rebuild's workers remember more (``remember``).
CACHED_TEXT_CHARS = 256
TEXT_CACHE_SIZE = 8_192


def normalize(text: str | None) -> str:
    """NFKC, lower case, control/format characters replaced by spaces."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    return _CONTROL_RE.sub(" ", text).lower()


def canonical_identifier(text: str | None) -> str:
    """The form under which identifiers (USCC, licence, decision numbers) are compared.

    NFKC, upper case, whitespace removed, every kind of bracket made round:
    ``晋市监处罚〔2024〕12号`` == ``晋市监处罚[2024]12号`` == ``晋市监处罚（2024）12号``.
    """
    if text and text.isascii() and text.isalnum():  # most are: nothing to change but case
        return text.upper()
    text = unicodedata.normalize("NFKC", text or "").upper()
    text = re.sub(r"[\[〔【［｛{]", "(", text)
    text = re.sub(r"[\]〕】］｝}]", ")", text)
    return re.sub(r"\s+", "", text)


# -- segmentation -------------------------------------------------------------


def domain_words() -> list[tuple[str, int]]:
    """The domain word list: the data file plus the controlled vocabularies."""
    words: dict[str, int] = {}
    for line in (DATA_DIR / "domain_words.txt").read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        words[normalize(parts[0])] = int(parts[1]) if len(parts) > 1 else 20000
    from portal.register import vocab

    terms: list[str] = []
    terms += list(vocab.SPOT_CHECK_TYPES) + list(vocab.PENALTY_KINDS)
    terms += list(vocab.VIOLATION_TYPES) + list(vocab.LIST_INCLUSION_REASONS)
    terms += list(vocab.LIST_REMOVAL_REASONS)
    for term in terms:
        term = normalize(term)
        # Only short vocabulary entries become single words; long ones (whole
        # sentences) are better served by their parts and by bigram phrases.
        if 2 <= len(term) <= 8 and _CJK.search(term) and not re.search(r"[,、/()]", term):
            words.setdefault(term, 10000)
    return sorted(words.items())


class TextTerms(NamedTuple):
    """What one text puts in the index: its search-mode words, the full-mode words
    inside it that search mode lacks (each once), and its bigrams (space-joined)."""

    words: tuple[str, ...]
    full_words: tuple[str, ...]
    bigrams: str


class Segmenter:
    """A jieba-family segmenter with the domain words loaded."""

    def __init__(self, flavour: str = "rjieba"):
        self.flavour = flavour
        self._impl: Any
        if flavour == "rjieba":
            import rjieba

            self._impl = rjieba.Jieba()
            for word, freq in domain_words():
                self._impl.add_word(word, freq, None)
            self._cut = self._impl.cut
            self._cut_search = self._impl.cut_for_search
            self._cut_all = self._impl.cut_all
            self._known = self._impl.has_word
        else:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            self._impl = jieba.Tokenizer()
            for word, freq in domain_words():
                self._impl.add_word(word, freq, None)
            self._cut = lambda t: list(self._impl.cut(t, HMM=True))
            self._cut_search = lambda t: list(self._impl.cut_for_search(t, HMM=True))
            self._cut_all = lambda t: list(self._impl.cut(t, cut_all=True))
            self._impl.initialize()
            self._known = lambda w: self._impl.FREQ.get(w, 0) > 0
        self.remember(TEXT_CACHE_SIZE)

    def remember(self, texts: int) -> None:
        """Keep the index terms of up to ``texts`` short texts and as many clauses of
        longer ones (forgetting those kept)."""
        self._cached_terms = functools.lru_cache(maxsize=texts)(self._terms)
        self._clause_terms = functools.lru_cache(maxsize=texts)(self._parts)

    def terms(self, text: str | None) -> TextTerms:
        """The index terms of one raw text (a body field): normalized, cut into words
        (:meth:`words`) and bigrams (:func:`bigrams`).  Short texts are remembered."""
        text = text or ""
        return self._cached_terms(text) if len(text) <= CACHED_TEXT_CHARS else self._terms(text)

    def _terms(self, text: str) -> TextTerms:
        if text.isascii() and text.isalnum():  # an identifier (USCC, certificate number):
            norm = text.lower()  # normalized as it is, one run (its bigram), no Han word
            return TextTerms(tuple(self._cut_search(norm)), (), norm)
        norm = normalize(text)
        if len(norm) <= CACHED_TEXT_CHARS:
            parts = [self._parts(norm)]
        else:  # clause by clause (the same terms), each clause remembered
            parts = [self._clause_terms(clause) for clause in _CLAUSE_BREAK.split(norm) if clause]
        search = [word for words, _, _ in parts for word in words]
        full = [word for _, words, _ in parts for word in words]
        # Worked out once per text: a document's texts then rarely have any extra in common.
        extra = _with_full_mode(list(search), full)[len(search):]  # what search mode lacks
        return TextTerms(tuple(search), tuple(extra),
                         " ".join(pair for _, _, pairs in parts for pair in pairs))

    def _parts(self, norm: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(search-mode words, full-mode words, bigrams) of a normalized text or clause."""
        search, full = self._cut_lines(norm)
        return tuple(search), tuple(full), tuple(bigrams(norm))

    @staticmethod
    def joined_words(terms: Iterable[TextTerms]) -> list[str]:
        """:meth:`words` of texts joined by newlines, from their :meth:`terms` (a word a
        text's search mode lacks may be in another's: it is then not added again)."""
        search: list[str] = []
        full: list[str] = []
        for term in terms:
            search += term.words
            full += term.full_words
        return _with_full_mode(search, full)

    def words(self, text: str) -> list[str]:
        """Tokens of an already normalized text for indexing: search mode plus
        every dictionary word inside it (full mode), so that a query word the
        dictionary knows is always found as a word, whatever the context."""
        return _with_full_mode(*self._cut_lines(text))

    def _cut_lines(self, text: str) -> tuple[list[str], list[str]]:
        """(search-mode tokens holding a word character, full-mode Han words of 2+ chars).

        The segmenter never cuts across a line break (jieba splits its input into
        blocks at whitespace), so each line is cut on its own."""
        search: list[str] = []
        full: list[str] = []
        for line in text.split("\n"):
            # Search mode yields words of its blocks (no whitespace inside) and single
            # characters between them: keep those holding a word character, found in one
            # pass over the tokens joined by a character no normalized text has (a line of
            # word characters only has no other kind: its tokens are kept as they come).
            words = self._cut_search(line)
            if not _WORD_LINE.fullmatch(line):
                words = _WORD_TOKEN.findall("\0".join(words))
            search += words
            # Full mode cuts each run of Han characters on its own (other characters come
            # back one by one): so cut just the runs, and keep its words of 2+ characters.
            # A run of up to 4 characters that search mode gave as a word needs no cutting:
            # search mode gives a word's dictionary words of 2 and 3 characters with it (or
            # gave the run with those of a longer word), i.e. every word full mode finds in it.
            runs = _FULL_MODE_WORD.findall(line)
            given = set(words) if runs else set()
            for run in runs:
                if len(run) > 4 or run not in given:
                    full += [word for word in self._cut_all(run) if len(word) > 1]
        return search, full

    def known(self, word: str) -> bool:
        """True if the dictionary has ``word`` (then indexing emitted it wherever it occurs)."""
        return self._known(word)

    def indexed_everywhere(self, word: str) -> bool:
        """True if :meth:`words` emits ``word`` wherever it occurs in a text: a
        dictionary word of 2+ Han characters (full mode yields every one), so a
        term query on it finds exactly the texts containing it as a substring."""
        return bool(_FULL_MODE_WORD.fullmatch(word)) and self._known(word)

    def query_words(self, text: str) -> list[str]:
        """Precise-mode tokens of an already normalized query."""
        out: list[str] = []
        for tok in self._cut(text):
            tok = tok.strip()
            if tok and _RUN.search(tok) and tok not in out:
                out.append(tok)
        return out


def _with_full_mode(search: list[str], full: list[str]) -> list[str]:
    """The search-mode tokens, then each full-mode word they lack, once."""
    if full:
        seen = set(search)
        search += [tok for tok in dict.fromkeys(full) if tok not in seen]
    return search


_segmenters: dict[str, Segmenter] = {}
_seg_lock = threading.Lock()


def segmenter(flavour: str = "rjieba") -> Segmenter:
    with _seg_lock:
        if flavour not in _segmenters:
            _segmenters[flavour] = Segmenter(flavour)
        return _segmenters[flavour]


# -- bigrams --------------------------------------------------------------------


def bigrams(text: str) -> list[str]:
    """Tokens for exact-substring phrase matching of a normalized text.

    CJK runs become overlapping bigrams (a single character stays a unigram);
    runs of ASCII letters/digits stay whole.  Punctuation and spaces end a run:
    no bigram spans them.
    """
    return _BIGRAM.findall(text)


def bigram_stream(terms: Iterable[TextTerms]) -> str:
    """The bigrams of several texts (their :meth:`Segmenter.terms`), separated by a gap token."""
    return f" {GAP} ".join(t.bigrams for t in terms if t.bigrams)


# -- the user's query --------------------------------------------------------------


# What a chunk also means: (phrases as bigrams, any of which must occur; the chunk's
# other words with their bigrams, all required).
SynonymAlternative = tuple[list[list[str]], list[tuple[str, list[str]]]]


class ParsedQuery:
    """A user's query, neutralised: words (AND), quoted phrases (AND), nothing else.

    No query language reaches an engine: quotes are the only syntax; operators,
    brackets, SQL and emoji are plain characters that segmentation drops.
    """

    def __init__(self, raw: str | None, seg: Segmenter, synonyms: Any = None):
        raw = (raw or "")[:MAX_QUERY_CHARS]
        self.raw = raw
        text = normalize(raw)
        # Quotes of every width: " “ ” 「 」 『 』 (NFKC turns ＂ into ").
        text = re.sub(r"[“”「」『』]", '"', text)
        self.text = " ".join(text.split())
        phrases: list[str] = []
        rest: list[str] = []
        pieces = self.text.split('"')
        # With an odd number of quotes the last one is unbalanced: its text is plain words.
        for i, piece in enumerate(pieces):
            closed = i % 2 == 1 and i < len(pieces) - 1
            if closed and bigrams(piece):
                phrases.append(piece.strip())
            else:
                rest.append(piece)
        self.phrases = phrases
        self.phrase_tokens = [bigrams(p) for p in phrases]
        # A phrase that is one dictionary word is that word wherever it occurs:
        # engines may match it as a word (cheaper than a phrase over bigrams).
        self.phrase_words = [p if seg.indexed_everywhere(p) else None for p in phrases]
        plain = " ".join(rest)
        self.words = seg.query_words(plain) if plain.strip() else []
        # Each space-separated chunk must match: all its words (as indexed
        # words, or words of 2+ characters as substrings), or the whole chunk
        # as a substring.  The latter covers words the segmenter cut
        # differently in the document (single characters, unknown names).
        self.groups: list[tuple[list[tuple[str, list[str]]], list[str]]] = []
        # Per group: True when every word is indexed wherever it occurs, so the
        # words alone find every text holding the chunk (the chunk-as-substring
        # alternative adds no match, only ranking).
        self.covered: list[bool] = []
        self.synonym_phrases: list[str] = []
        # Per group: what the chunk also means (search/synonyms.csv), each as
        # (phrases, any of which must occur; the chunk's other words, all required).
        self.synonym_alternatives: list[list[SynonymAlternative]] = []
        for chunk in plain.split():
            words = seg.query_words(chunk)
            if words:
                alternatives, meant = (_synonym_alternatives(chunk, seg, synonyms)
                                       if synonyms else ([], []))
                self.synonym_alternatives.append(alternatives)
                self.synonym_phrases += meant
                self.groups.append((
                    # A word the dictionary knows is indexed wherever it occurs;
                    # any other word (a name the HMM made up) may also match
                    # as a substring, through its bigrams.
                    [(w, bigrams(w) if len(w) > 1 and not seg.known(w) else [])
                     for w in words],
                    bigrams(chunk),
                ))
                self.covered.append(all(seg.indexed_everywhere(w) for w in words))
        # The unquoted text as one phrase, so that a phrase beats scattered words.
        whole = bigrams(plain)
        self.whole_bigrams = whole if len(self.words) > 1 else []
        self.exact = " ".join(self.text.replace('"', " ").split())
        self.identifier = canonical_identifier(raw)

    @property
    def ascii_words(self) -> list[str]:
        """Words of letters only (pinyin or initials of a name, e.g. ``zexin``, ``tyzx``)."""
        return [w for w in self.words if re.fullmatch(r"[a-z]{2,30}", w)]

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases

    def highlight_terms(self) -> list[str]:
        terms = set(self.phrases) | set(self.words) | set(self.synonym_phrases)
        return sorted((t for t in terms if t.strip()), key=len, reverse=True)


def _synonym_alternatives(chunk: str, seg: Segmenter, synonyms) -> tuple[list, list[str]]:
    out = []
    meant: list[str] = []
    for term, means in synonyms.expand(chunk):
        meant += means
        phrases = [bigrams(m) for m in means if bigrams(m)]
        rest = chunk.replace(term, " ").strip()
        words = seg.query_words(rest) if rest else []
        if phrases:
            out.append((phrases, [(w, bigrams(w) if len(w) > 1 and not seg.known(w) else [])
                                  for w in words]))
    return out, meant


# -- highlighting ---------------------------------------------------------------


def _normalized_with_map(text: str) -> tuple[str, list[int]]:
    """Normalize ``text`` char by char, keeping each output char's source index."""
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        n = normalize(c)
        out.append(n)
        where.extend([i] * len(n))
    return "".join(out), where


def highlight(text: str | None, terms: list[str], width: int = 120) -> Markup:
    """An escaped snippet of the ORIGINAL text with the matched terms in <mark>.

    Matching happens on the normalized text (so ``（`` matches ``(``) and the
    spans are mapped back to the original characters.  Without a match the
    snippet is the beginning of the text.
    """
    if not text:
        return Markup("")
    norm = normalize(text)
    if len(norm) == len(text):  # the usual case: normalisation kept every position
        where = list(range(len(text)))
    else:
        norm, where = _normalized_with_map(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        start = 0
        while True:
            j = norm.find(term, start)
            if j < 0:
                break
            a, b = where[j], where[j + len(term) - 1] + 1
            if not any(a < y and x < b for x, y in spans):
                spans.append((a, b))
            start = j + len(term)
    spans.sort()
    if spans:
        first = spans[0][0]
        lo = max(0, first - width // 4)
    else:
        lo = 0
    hi = min(len(text), lo + width)
    out = [Markup("…") if lo > 0 else Markup("")]
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        a, b = max(a, lo), min(b, hi)
        if a < pos:
            continue
        out.append(escape(text[pos:a]))
        out.append(Markup("<mark>") + escape(text[a:b]) + Markup("</mark>"))
        pos = b
    out.append(escape(text[pos:hi]))
    if hi < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)
