"""SkeletonConstraint: model.generate with it never writes what the input does not allow."""
import pytest
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from vidiac.infer import SkeletonConstraint
from vidiac.infer.lexicon import Lexicon
from vidiac.infer.restorer import DEFAULT_MODEL
from vidiac.infer.vietnamese import strip_diacritics

TEXTS = ["UBND xa Ba Bich da pho bien", "Ket qua cong tac tuyen truyen quy I nam 2024", "Dieu 5. Pham vi"]


def generate(model_dir, texts, num_beams, processors):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSeq2SeqLM.from_pretrained(model_dir)
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    out = model.generate(**batch, num_beams=num_beams, do_sample=False, logits_processor=processors,
                         max_new_tokens=2 * batch.input_ids.shape[1] + 7)
    return tokenizer.batch_decode(out, skip_special_tokens=True)


@pytest.mark.parametrize("num_beams", [1, 3])
def test_a_tiny_models_output_keeps_the_inputs_skeleton(tiny_model, num_beams):
    constraint = SkeletonConstraint(TEXTS, num_beams=num_beams)
    out = generate(tiny_model, TEXTS, num_beams, [constraint])
    assert [strip_diacritics(o) for o in out] == TEXTS


def test_the_shipped_model_with_its_lexicon_writes_only_known_forms():
    constraint = SkeletonConstraint.from_pretrained(DEFAULT_MODEL, TEXTS)
    out = generate(DEFAULT_MODEL, TEXTS, 1, [constraint])
    assert [strip_diacritics(o) for o in out] == TEXTS
    lexicon = Lexicon.load(DEFAULT_MODEL)
    for o in out:
        for word in o.replace(".", "").split():
            forms = lexicon.forms.get(strip_diacritics(word).lower())
            assert not forms or word.lower() in forms, word


@pytest.mark.parametrize("card", ["shipped", "trained"])
def test_the_model_cards_code_runs_as_written(card, tiny_model):
    d = DEFAULT_MODEL if card == "shipped" else tiny_model
    readme = (d / "README.md").read_text(encoding="utf-8")
    code = readme.split("## With transformers", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    scope = {"d": d, "texts": TEXTS}
    exec(code, scope)
    assert [strip_diacritics(r) for r in scope["restored"]] == TEXTS
