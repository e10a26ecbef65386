"""Files the package writes appear whole, keep the old file when writing fails, and follow the umask."""

from __future__ import annotations

import json
import os
import stat

import pytest

from anb.adaptation.measure import STAGING_NAME
from anb.data.atomic import replace_atomically, write_json_atomic
from anb.data.splits import Split


@pytest.fixture
def umask():
    """Set the umask for one test and put the old one back."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_written_file_has_the_permissions_of_any_new_file(tmp_path, umask, mask, mode):
    umask(mask)
    written = write_json_atomic(tmp_path / "a.json", {"x": 1})
    assert json.loads(written.read_text()) == {"x": 1}
    assert stat.S_IMODE(written.stat().st_mode) == mode
    Split(["a"], ["b"], ["c"], source="test").save(tmp_path / "split")
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "split").iterdir()} == {mode}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_staging_file(tmp_path):
    path = write_json_atomic(tmp_path / "result_3.json", {"old": True})

    def half_then_fail(staging):
        staging.write_text('{"new": ')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_atomically(path, half_then_fail)
    assert json.loads(path.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["result_3.json"]


def test_the_staging_file_is_one_a_measurement_folder_recognises(tmp_path):
    seen = []
    replace_atomically(tmp_path / "result_12.json", lambda staging: (seen.append(staging.name), staging.write_text("{}")))
    assert STAGING_NAME.fullmatch(seen[0]), seen[0]
