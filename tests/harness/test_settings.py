from pathlib import Path

import pytest

from ra_conformance.settings import SettingsError, build


def test_defaults():
    s = build({}, env={})
    assert s.target is None and s.ig_version is None and s.report_dir == Path("reports") and not s.strict


def test_flags_beat_env_beat_file(tmp_path):
    cfg = tmp_path / "ra-conform.toml"
    cfg.write_text('[ra-conform]\ntarget = "http://file"\nig-version = "stu1"\ntimeout = 5\n')
    s = build({}, config=cfg, env={"RA_CONFORM_TARGET": "http://env"})
    assert (s.target, s.ig_version, s.timeout) == ("http://env", "stu1", 5.0)
    s = build({"target": "http://flag"}, config=cfg, env={"RA_CONFORM_TARGET": "http://env"})
    assert s.target == "http://flag"


@pytest.mark.parametrize(
    "flags,env,message",
    [
        ({"ig_version": "9"}, {}, "unknown IG version"),
        ({"target": "ftp://x"}, {}, r"http\(s\) URL"),
        ({}, {"RA_CONFORM_TARGT": "x"}, "unknown setting"),
        ({"timeout": "soon"}, {}, "expected a number"),
        ({"target": "http://x", "fault": ("ignore-period",)}, {}, "embedded server only"),
    ],
)
def test_bad_settings_are_usage_errors(flags, env, message):
    with pytest.raises(SettingsError, match=message):
        build(flags, env=env)


def test_bad_settings_file(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("target = [unclosed")
    with pytest.raises(SettingsError):
        build({}, config=cfg, env={})


def test_presets_are_defaults_that_flags_override(tmp_path):
    s = build({"preset": "stu1"}, env={})
    assert (s.ig_version, s.operation) == ("stu1", "report")
    s = build({"preset": "stu1", "operation": "cc-gaps"}, env={})
    assert s.operation == "cc-gaps"
    cfg = tmp_path / "ra-conform.toml"
    cfg.write_text('[ra-conform]\npreset = "mine"\n[ra-conform.presets.mine]\nig-version = "stu3-ballot"\nstrict = true\n')
    s = build({}, config=cfg, env={})
    assert (s.ig_version, s.strict) == ("stu3-ballot", True)
    with pytest.raises(SettingsError, match="known presets"):
        build({"preset": "nope"}, env={})
