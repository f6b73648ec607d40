"""vidiac-restore --ray: a folder tree on a local Ray with 2 workers, written as the CLI writes it."""
from tests.conftest import FIXTURE
from vidiac.infer.cli import main

RAY = ["--ray", "--jobs", "2"]  # a local Ray with 2 workers


def archive(root):
    lines = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i in range(30):
        folder = root / ("sub" if i % 3 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"doc{i:02}.txt").write_text("\n".join(lines[i:i + 3]) + "\n", encoding="utf-8")
    (root / "broken.txt").write_bytes(b"\xff\xfe not utf-8")


def tree(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ray_writes_the_clis_files_reports_a_bad_one_and_resumes(tiny_model, tmp_path, capsys):
    archive(tmp_path / "in")
    assert main(["-m", str(tiny_model), str(tmp_path / "in"), "-o", str(tmp_path / "cli")]) == 2
    capsys.readouterr()
    assert main(["-m", str(tiny_model), str(tmp_path / "in"), "-o", str(tmp_path / "ray"), *RAY]) == 2
    err = capsys.readouterr().err
    assert "broken.txt: not valid utf-8 at byte 0" in err
    written = tree(tmp_path / "ray")
    assert written == tree(tmp_path / "cli") and len(written) == 30

    (tmp_path / "ray" / "in" / "sub" / "doc03.txt").unlink()
    kept = (tmp_path / "ray" / "in" / "doc01.txt").stat().st_mtime_ns
    assert main(["-m", str(tiny_model), str(tmp_path / "in"), "-o", str(tmp_path / "ray"), *RAY]) == 2
    assert "29 of 31 files already written, skipped" in capsys.readouterr().err
    assert tree(tmp_path / "ray") == written and (tmp_path / "ray" / "in" / "doc01.txt").stat().st_mtime_ns == kept


def test_ray_needs_a_folder_out(tiny_model, tmp_path, capsys):
    (tmp_path / "one.txt").write_text("xa\n", encoding="utf-8")
    assert main(["-m", str(tiny_model), str(tmp_path / "one.txt"), "--ray"]) == 2
    assert "--ray restores folders" in capsys.readouterr().err
