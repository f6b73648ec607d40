from hypothesis import given, settings
from hypothesis import strategies as st

from vidiac.infer.chunking import Layout, align_words, chunk_text, plan_chunks, split_text

WORDS = st.sampled_from(["Ủy", "ban", "nhan", "dan", "xa", "UBND", "4.0", "x4", "1a", "Điều", "3.", "https://a.vn/b",
                         "quy?", "a" * 70, "đồng-bộ", "—", "ngày", "01/01/2019"])
SPACES = st.sampled_from([" ", "  ", "\n", "\n\n", " \n", "\t", "\r\n", " \u00a0 "])


@st.composite
def documents(draw):
    words = draw(st.lists(WORDS, max_size=120))
    gaps = draw(st.lists(SPACES, min_size=len(words) + 1, max_size=len(words) + 1))
    lead = draw(st.sampled_from(["", " ", "\n"]))
    trail = draw(st.sampled_from(["", "\n", "  \n\n"]))
    text = lead + "".join(w + g for w, g in zip(words, gaps[1:]))
    return text.rstrip() + trail if draw(st.booleans()) else text


@settings(max_examples=300, deadline=None)
@given(documents(), st.integers(min_value=16, max_value=300))
def test_chunks_fit_cover_every_word_and_reassemble_exactly(text, limit):
    layout = Layout.of(text, limit)
    chunks = plan_chunks(layout, limit)
    assert layout.join(layout.words) == text
    covered = [i for start, end in chunks for i in range(start, end)]
    assert covered == list(range(len(layout.words)))
    for chunk in chunks:
        assert len(chunk_text(layout, chunk).encode()) <= limit


@settings(max_examples=100, deadline=None)
@given(documents())
def test_reassembly_with_identity_output_is_exact(text):
    layout = Layout.of(text, 64)
    words = list(layout.words)
    for start, end in plan_chunks(layout, 64):
        words[start:end] = align_words(layout.words[start:end], chunk_text(layout, (start, end)))
    assert layout.join(words) == text


@settings(max_examples=200, deadline=None)
@given(documents(), st.integers(min_value=16, max_value=300))
def test_a_span_of_model_text_is_cut_into_pieces_that_fit_and_cover_it(text, limit):
    layout = Layout.of(text, limit)
    span = chunk_text(layout, (0, len(layout.words))) if layout.words else ""
    pieces = split_text(span, limit)
    assert all(len(span[a:b].encode()) <= limit for a, b in pieces)
    assert [w for a, b in pieces for w in span[a:b].split()] == span.split()
    ends = [0] + [x for a, b in pieces for x in (a, b)] + [len(span)]
    assert all(span[b:a] in (" ", "\n") for b, a in zip(ends[2:-1:2], ends[3:-1:2]))  # one separator between pieces


def test_chunks_prefer_line_breaks_then_sentence_ends():
    text = "mot hai ba bon nam sau.\nbay tam chin muoi muoi. mot hai ba bon nam"
    layout = Layout.of(text, 40)
    pieces = [chunk_text(layout, c) for c in plan_chunks(layout, 40)]
    assert pieces == ["mot hai ba bon nam sau.", "bay tam chin muoi muoi.", "mot hai ba bon nam"]


def test_ten_megabyte_line_is_chunked_not_fed_whole():
    text = ("cong hoa xa hoi chu nghia viet nam " * 300_000)[:10_000_000].strip() + "x" * 5000
    layout = Layout.of(text, 256)
    chunks = plan_chunks(layout, 256)
    assert len(chunks) > 10_000_000 // 256
    assert max(len(chunk_text(layout, c).encode()) for c in chunks) <= 256
    assert layout.join(layout.words) == text


def test_model_text_keeps_line_breaks_and_collapses_spaces():
    layout = Layout.of("  Uy  ban\n\n nhan\tdan ", 100)
    assert chunk_text(layout, (0, 4)) == "Uy ban\nnhan dan"


def test_alignment_restores_words_and_falls_back_where_output_is_unfaithful():
    source = "UY BAN nhan dan xa 4.0 ghi@email.vn".split()
    # the model dropped "dan", invented a word, and rewrote the number and the address
    output = "Ủy ban nhân lạ xã 4,0 ghi@email.com"
    result = align_words(source, output)
    assert result[:3] == ["ỦY", "BAN", "nhân"]
    assert result[3] == "dan" or result[3] == "lạ"  # a one-for-one replacement may stand
    assert result[4] == "xã"
    assert result[5:] == ["4.0", "ghi@email.vn"]


def test_alignment_never_loses_or_duplicates_words():
    source = "mot hai ba bon nam".split()
    assert align_words(source, "một hai") == ["một", "hai", "ba", "bon", "nam"]
    assert align_words(source, "một hai hai ba bốn năm năm") == ["một", "hai", "ba", "bốn", "năm"]
    assert align_words(source, "") == source


def test_case_of_the_input_is_kept():
    assert align_words(["Uy", "ban", "UBND"], "ủy Ban UBND") == ["Ủy", "ban", "UBND"]
