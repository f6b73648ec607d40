"""Worker processes: the same output as one process, in the input's order."""
import pytest

from vidiac.infer import Restorer, restorer as restorer_module, workers
from vidiac.infer.vietnamese import strip_diacritics

from ..conftest import FIXTURE

OCR = "Két qua cong tac tuyén truyén cai cach hanh chinh quy I nim 2024 cia x4 Hoa Binh 1a"


@pytest.fixture(scope="module")
def documents():
    """Stripped paragraphs of the legal fixture of every length, and OCR output, in a mixed order."""
    paragraphs = [p for p in FIXTURE.read_text(encoding="utf-8").split("\n") if p.strip()][:20]
    return [strip_diacritics(p) if i % 3 else OCR for i, p in enumerate(paragraphs)] + ["", "\n"]


def test_workers_restore_what_one_process_restores(documents, monkeypatch):
    alone = Restorer.from_pretrained().review(documents)
    # Small batches, so that both workers get several and finish out of order.
    monkeypatch.setattr(restorer_module, "BATCH_CHARS", 300)
    monkeypatch.setattr(restorer_module, "WORKER_CHARS", 300)
    assert Restorer.from_pretrained().review(documents) == alone  # batch by batch
    with Restorer.from_pretrained(jobs=2) as restorer:
        assert restorer.review(iter(documents)) == alone
        assert restorer.restore_many(documents[:3]) == [text for text, _ in alone[:3]]
        assert restorer._workers is not None
    assert restorer._workers is None


def test_workers_load_the_model_again_where_there_is_no_fork(monkeypatch):
    monkeypatch.setattr(workers, "FORK", False)
    expected = Restorer.from_pretrained().restore_many([OCR, "quyet dinh"])
    with Restorer.from_pretrained(jobs=2) as restorer:
        assert restorer.restore_many([OCR, "quyet dinh"]) == expected


def test_a_bad_number_of_jobs_is_a_clear_error():
    with pytest.raises(ValueError, match="jobs: expected 1 or more"):
        Restorer.from_pretrained(jobs=0)
