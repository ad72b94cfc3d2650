"""Normalisation, segmentation with domain words, bigrams, query parsing, highlighting."""

import pytest

from search.text import (
    _CJK,
    _CLAUSE_BREAK,
    _RUN,
    CACHED_TEXT_CHARS,
    ParsedQuery,
    bigrams,
    canonical_identifier,
    highlight,
    normalize,
    segmenter,
)


@pytest.fixture(params=["rjieba", "jieba"])
def seg(request):
    return segmenter(request.param)


def test_full_and_half_width_are_the_same():
    assert normalize("（普通合伙）ＡＢＣ１２３") == normalize("(普通合伙)abc123") == "(普通合伙)abc123"
    assert normalize("a\x00b\u200bc") == "a b c"


def test_canonical_identifier_ignores_bracket_kind_and_spaces():
    assert canonical_identifier("晋市监处罚〔2024〕12号") == canonical_identifier(" 晋市监处罚[2024]12号")
    assert canonical_identifier("晋市监处罚（2024）12号") == "晋市监处罚(2024)12号"


@pytest.mark.parametrize(
    "text, word",
    [
        ("专利代理师未落实签名责任制", "专利代理师"),
        ("专利代理师未落实签名责任制", "签名责任制"),
        ("代理非正常专利申请三十件", "非正常专利申请"),
        ("因未按规定报送年度报告被列入经营异常名录", "经营异常名录"),
        ("列入严重违法失信名单", "严重违法失信名单"),
    ],
)
def test_domain_words_stay_whole(seg, text, word):
    assert word in seg.query_words(normalize(text))
    assert word in seg.words(normalize(text))


def test_search_mode_emits_sub_words(seg):
    words = seg.words(normalize("太原专利代理事务所"))
    assert {"专利", "代理", "事务所"} <= set(words)


def test_dictionary_words_are_indexed_wherever_they_occur(seg):
    # Queries match such words as words instead of phrases over bigrams: that is
    # only exact if indexing emits the word inside any other segmentation.
    text = normalize("该机构的专利代理师未落实签名责任制，非专利代理业务；专利代理事务所")
    emitted = set(seg.words(text))
    candidates = {text[i:j] for i in range(len(text)) for j in range(i + 2, len(text) + 1)}
    everywhere = {w for w in candidates if seg.indexed_everywhere(w)}
    assert {"专利代理", "代理师", "签名责任制", "事务所"} <= everywhere
    assert everywhere <= emitted
    assert not seg.indexed_everywhere("专")  # one character: not cut in full mode
    assert not seg.indexed_everywhere("a股")
    assert not seg.indexed_everywhere("利代")  # not a dictionary word


@pytest.mark.parametrize("text", [
    "太原专利代理事务所（普通合伙） 91140100MA0KXXXX1Y",
    "㐀专利代理㐁有限公司；豈更車中華人民共和國",  # extension A and compatibility ideographs
    "𠀀专利𠀁代理所",  # supplementary-plane ideographs
    "a.b+c#d 专利 代理 x%y 12.5% ab12中文cd34",
    "  专利  代理\t公司 \n第二行：签名责任制，ⅰⅱ专利·代理·",
    "……！？",
    # short Han runs: names, words of 2-4 characters kept whole or cut by search mode
    "张伟 李娜娜，代理师；签名责任；专利代理；机构名称、欧阳明华、非正常申请",
    "代理人：专利代理师",  # a run of 5 kept whole: full mode adds 专利代理
    # word characters only (no token to drop: taken as cut)
    "新乡市获嘉县平阳大街617号", "㐀专利代理㐁有限公司豈更車", "ab12中文cd34",
])
def test_words_are_search_mode_plus_full_mode_words(seg, text):
    assert seg.words(normalize(text)) == _plain_words(seg, normalize(text))


def _plain_words(seg, norm):
    """What indexing emits, worked out the plain way from the segmenter's own output:
    every search-mode token holding a word character (stripped), then each full-mode word
    of 2+ Han characters the search mode lacks."""
    search, full = [], []
    for line in norm.split("\n"):
        search += [t.strip() for t in seg._cut_search(line)
                   if t.strip() and _RUN.search(t.strip())]
        full += [w for w in seg._cut_all(line) if len(w) > 1 and _CJK.match(w)]
    return search + [w for w in dict.fromkeys(full) if w not in search]


@pytest.mark.parametrize("text", ["91140100MA0KXXXX1Y", "14200500001", "abc", "x1", "7",
                                  "ABC 123", "12.5", "专利abc"])
def test_an_identifier_has_the_terms_of_any_text(seg, text):
    # Letters and digits only (USCC, certificate numbers) take a shorter way: the same terms.
    norm = normalize(text)
    terms = seg.terms(text)
    assert list(terms.words + terms.full_words) == _plain_words(seg, norm)
    assert terms.bigrams == " ".join(bigrams(norm))


def test_a_long_text_has_the_terms_it_would_have_uncut(seg):
    # A long text is made into terms clause by clause (each clause remembered): that must
    # give exactly the terms of the whole text, so every clause break must be a place where
    # jieba starts a new block and no bigram or Han run crosses.  Each break character sits
    # between characters jieba keeps inside a block (ASCII, digits, ``+#&._%-``).
    breaks = " \t\n,;:!?()[]\"'、。《》“”‘’【】，；：！？（）［］＂＇"
    assert all(_CLAUSE_BREAK.fullmatch(normalize(c)) for c in breaks)
    clause = "经查，当事人于2023年10月26日至2025年2月26日期间，允许他人以其名义承接专利代理业务"
    pieces = [f"{clause}{c}a.b+c#d&e_f-g 12.5%专利{c}代理x%y" for c in breaks]
    first = "".join(pieces)
    second = "".join(reversed(pieces)) + "张伟 李娜娜，签名责任制"  # the same clauses, remembered
    for text in (first, second):
        norm = normalize(text)
        assert len(norm) > CACHED_TEXT_CHARS
        terms = seg.terms(text)
        assert list(terms.words + terms.full_words) == _plain_words(seg, norm)
        assert terms.bigrams == " ".join(bigrams(norm))


def test_quoted_dictionary_word_is_marked_as_a_word(seg):
    q = ParsedQuery('"专利代理" "代理师未落实签名"', seg)
    assert q.phrases == ["专利代理", "代理师未落实签名"]
    assert q.phrase_words == ["专利代理", None]


def test_bigrams_are_consecutive_and_stop_at_punctuation():
    assert bigrams("专利代理") == ["专利", "利代", "代理"]
    assert bigrams("a级(机构)") == ["a", "级", "机构"]
    assert bigrams("😀 -- ;") == []


@pytest.mark.parametrize("text", [
    "", "中", "中 文", "x", "ab12中文cd34", "新乡新永专利代理事务所(普通合伙)", "a中b", "中a文",
    "经查,当事人于2023年10月26日至2025年2月26日期间,允许他人以其名义承接专利代理业务",
    "㐀专利代理㐁有限公司;豈更車中華", "𠀀专利𠀁代理所", "a.b+c#d 专利 代理 x%y 12.5%", "é中文ü",
])
def test_bigrams_are_those_of_each_run(text):
    # Found by one regular expression; defined run by run: a CJK run of 2+ characters gives
    # its overlapping pairs, any other run (one CJK character, ASCII letters/digits) itself.
    plain = []
    for run in _RUN.findall(text):
        if len(run) > 1 and _CJK.match(run):
            plain += [run[i:i + 2] for i in range(len(run) - 1)]
        else:
            plain.append(run)
    assert bigrams(text) == plain


@pytest.mark.parametrize(
    "raw, words, phrases",
    [
        ('"签名责任制" 太原', ["太原"], ["签名责任制"]),
        ("“未落实签名”", [], ["未落实签名"]),
        ('"unbalanced quote', ["unbalanced", "quote"], []),
        ("OR AND NOT * ( ) :", ["or", "and", "not"], []),
        ("😀😀", [], []),
        ("", [], []),
    ],
)
def test_query_parsing_neutralises_syntax(seg, raw, words, phrases):
    q = ParsedQuery(raw, seg)
    assert q.words == words
    assert q.phrases == phrases


def test_query_is_truncated(seg):
    q = ParsedQuery("专利" * 1000, seg)
    assert len(q.raw) == 200


def test_highlight_marks_original_text_and_escapes():
    html = highlight("<b>太原</b>专利代理事务所（普通合伙）", ["专利代理", "(普通合伙)"])
    assert "&lt;b&gt;太原&lt;/b&gt;" in html
    assert "<mark>专利代理</mark>" in html
    assert "<mark>（普通合伙）</mark>" in html  # the original full-width text is kept


def test_highlight_windows_long_text():
    text = "甲" * 500 + "签名责任制" + "乙" * 500
    html = highlight(text, ["签名责任制"], width=60)
    assert "<mark>签名责任制</mark>" in html
    assert html.startswith("…") and html.endswith("…")
    assert len(html) < 120
