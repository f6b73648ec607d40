import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from vidiac.infer.lexicon import Lexicon
from vidiac.infer.prior import Line, backward, left_as_written, marginals

SURE = Lexicon({"nha": ["nhà"], "cua": ["của"], "ban": ["bán", "bàn"]},
               counts={"nhà": 100, "của": 100, "bán": 50, "bàn": 50})


@st.composite
def chains(draw):
    """A line of 1-5 tokens of 1-3 forms each: trigram scores and per-form weights, all positive."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=5))
    padded = [1, 1] + sizes  # one form, None, before the line
    shapes = [tuple(padded[i:i + 3]) for i in range(len(sizes))]
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    return [rng.uniform(0.01, 1, s) for s in shapes], [rng.uniform(0.01, 1, n) for n in sizes]


def _brute(moves, weights):
    """Each token's marginals by summing over every sequence of forms."""
    sizes = [len(w) for w in weights]
    out = [np.zeros(n) for n in sizes]
    for seq in itertools.product(*map(range, sizes)):
        padded = (0, 0) + seq
        p = np.prod([moves[i][padded[i], padded[i + 1], seq[i]] * weights[i][seq[i]] for i in range(len(seq))])
        for i, f in enumerate(seq):
            out[i][f] += p
    return [m / m.sum() for m in out]


@settings(max_examples=60, deadline=None)
@given(chains())
def test_marginals_are_exact_and_sum_to_one(chain):
    moves, weights = chain
    got = marginals(moves, weights)
    for m, want in zip(got, _brute(moves, weights)):
        assert np.isclose(m.sum(), 1.0) and np.allclose(m, want)


def test_backward_messages_weigh_what_follows():
    # token 1 has two forms; the only token after it follows form 0 ten times as well as form 1
    tables = [np.ones((1, 1, 2)), np.array([[[10.0], [1.0]]]), None]
    messages = backward(tables, [None, None, None], [(1, 1), (1, 2), (2, 1)])
    assert np.allclose(messages[1], [[10 / 11, 1 / 11]]) and messages[0].shape == (1, 1)
    assert backward([None], [None], [None]) == [None]  # a token of no forms has no message


def test_the_prior_of_a_word_sums_to_one_over_its_forms_given_its_context():
    line = Line("nha ban cua", SURE, "skeleton", 1.0)
    live = line.live(4, list("nhà "))
    assert set(live) == {"bán", "bàn"} and np.isclose(sum(np.exp(v) for v in live.values()), 1.0)
    assert set(line.live(6, list("nhà bà"))) == {"bàn"} and line.live(3, list("nhà")) == {}


def test_words_no_mark_can_make_right_are_left_as_written():
    assert left_as_written("ho4c", SURE) and not left_as_written("xoan", SURE) and not left_as_written("nha", SURE)
    assert not left_as_written("CDN", SURE) and not left_as_written("2024", SURE)
    assert not left_as_written("ho4c", Lexicon({}))  # without a lexicon every word is restored letter by letter


def test_a_wrapped_line_reads_the_next_line_as_context():
    lexicon = Lexicon({"ban": ["bán", "bàn"], "nha": ["nhà"], "ghe": ["ghế"]},
                      counts={"bán": 60, "bàn": 40, "nhà": 50, "ghế": 50, "Ghế": 5, "mua": 40, "đã": 60},
                      ngrams={("bàn", "ghế"): 40, ("bán", "nhà"): 60, ("mua", "bàn", "ghế"): 20,
                              ("đã", "bàn", "ghế"): 20, ("đã", "bán", "nhà"): 60})

    def best(text):
        line = Line(text, lexicon, "skeleton", 1.0)
        live = line.live(0, [])
        return max(live, key=live.get)
    assert best("ban\nghe") == "bàn"  # the paragraph goes on: `bàn ghế`
    assert best("ban ghe") == "bàn" and best("ban") == "bán"
    assert best("ban\nGhe") == best("ban.\nghe") == best("ban\n\nghe") == "bán"  # a new sentence or paragraph


def test_a_word_a_symbol_tears_is_left_as_written_and_says_nothing_of_its_neighbours():
    lexicon = Lexicon({"co": ["cơ", "cô"], "quan": ["quan"], "d": ["đ", "d"]},
                      counts={"cơ": 50, "cô": 50, "quan": 50, "đ": 10, "d": 10, ")": 20, "các": 25, "của": 25},
                      ngrams={("cơ", "quan"): 50, ("d", ")"): 10,
                              ("các", "cơ", "quan"): 25, ("của", "cơ", "quan"): 25})

    def prior(text, at=0):
        return Line(text, lexicon, "skeleton", 1.0).live(at, [])
    # `qu@an` is no `quan`: its pieces stay as printed and leave `co` to its own odds
    assert prior("co qu@an")["cơ"] == pytest.approx(prior("co")["cơ"]) == pytest.approx(np.log(0.5))
    assert prior("co quan")["cơ"] > prior("co qu@an")["cơ"] + 0.1
    assert prior("co qu@an", 3) == prior("co qu@an", 6) == {}
    assert set(prior("d)")) == {"đ", "d"}  # a symbol the lexicon counted beside a form tears nothing
