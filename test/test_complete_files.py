"""A file is renamed into place only when complete, and a torch file or zip cut short is told from a whole one."""
import glob
import stat
import zipfile

import pytest
import torch

from ctc_kd.complete_files import new_partial_file, write_text, written_whole, zip_problem


def test_the_partial_file_is_hidden_beside_the_target_and_keeps_its_suffix(tmp_path):
    first, second = new_partial_file(tmp_path / "model.pth"), new_partial_file(tmp_path / "model.pth")
    for partial in (first, second):
        assert partial.parent == tmp_path
        assert partial.name.startswith(".model.partial.") and partial.suffix == ".pth"
    assert first != second  # two jobs writing the same file do not write into each other's
    assert new_partial_file(tmp_path / "student.zip").suffix == ".zip"
    assert glob.glob(str(tmp_path / "*.pth")) == []  # the shell's glob for finished models (asr_kd.sh) skips them


def test_the_written_file_has_the_permissions_a_plain_write_gives(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    write_text(tmp_path / "whole.txt", "x")
    assert stat.S_IMODE((tmp_path / "whole.txt").stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_a_complete_write_is_renamed_into_place(tmp_path):
    target = tmp_path / "export" / "model.pth"
    with written_whole(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        torch.save({"w": torch.arange(3)}, tmp)
        assert not target.exists()
    assert torch.load(target)["w"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.pth"]


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path):
    target = tmp_path / "model.pth"
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        with written_whole(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pth"]


def test_a_kill_mid_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "RESULTS.md"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with written_whole(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RESULTS.md"]


def test_write_text_replaces_the_file_whole(tmp_path):
    target = tmp_path / "sub" / "results.json"
    write_text(target, "{}\n")
    write_text(target, "{\"a\": 1}\n")
    assert target.read_text(encoding="utf-8") == "{\"a\": 1}\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["results.json"]


def test_a_whole_torch_file_has_no_problem(tmp_path):
    path = tmp_path / "model.pth"
    torch.save({"w": torch.zeros(1000)}, path)
    assert zip_problem(path) is None


def test_a_torch_file_cut_short_is_named_with_its_size(tmp_path):
    path = tmp_path / "model.pth"
    torch.save({"w": torch.zeros(10000)}, path)
    whole = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(whole // 2)
    assert zip_problem(path) == (f"{path} is cut short or is not a zip/torch file ({whole // 2} bytes, "
                                 "no complete zip directory)")


def test_missing_and_empty_files(tmp_path):
    assert zip_problem(tmp_path / "nothing.pth") == f"{tmp_path / 'nothing.pth'} does not exist"
    (tmp_path / "empty.pth").write_bytes(b"")
    assert zip_problem(tmp_path / "empty.pth") == f"{tmp_path / 'empty.pth'} is empty"


def test_a_corrupt_member_fails_its_checksum(tmp_path):
    path = tmp_path / "packed.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("meta.yaml", "a" * 100)
    data = bytearray(path.read_bytes())
    data[data.index(b"a" * 100) + 50] = ord("b")  # one byte of the stored member flipped, the directory intact
    path.write_bytes(bytes(data))
    assert zip_problem(path) == f"{path} is damaged (member meta.yaml fails its checksum)"
