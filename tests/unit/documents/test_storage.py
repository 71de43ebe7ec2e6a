from pathlib import Path

import pytest

from documents.adapters.storage import FolderStorage


def test_a_stream_is_stored_read_back_and_deleted(tmp_path: Path):
    storage = FolderStorage(tmp_path)
    assert storage.put_stream("org/letter/a.pdf", [b"%PDF-", b"1.4"]) == 8
    assert storage.exists("org/letter/a.pdf")
    with storage.open("org/letter/a.pdf") as f:
        assert f.read() == b"%PDF-1.4"
    storage.delete("org/letter/a.pdf")
    storage.delete("org/letter/a.pdf")
    assert not storage.exists("org/letter/a.pdf")
    with pytest.raises(FileNotFoundError):
        storage.open("org/letter/a.pdf")


def test_a_failed_write_leaves_the_previous_file_and_no_partial_one(tmp_path: Path):
    storage = FolderStorage(tmp_path)
    storage.put_stream("x.pdf", [b"old"])

    def broken():
        yield b"new"
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError):
        storage.put_stream("x.pdf", broken())
    with storage.open("x.pdf") as f:
        assert f.read() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pdf"]


def test_keys_cannot_leave_the_folder(tmp_path: Path):
    storage = FolderStorage(tmp_path / "docs")
    with pytest.raises(ValueError):
        storage.put_stream("../escape.pdf", [b"x"])
