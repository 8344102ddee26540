"""The screenshots of the guides: the script takes every one a guide shows, and each is on disk, small."""

import importlib.util
import sys

import pytest
from django.conf import settings
from django.urls import NoReverseMatch
from PIL import Image

from seei.core.children import ROOT
from seei.help import guides

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(scope="module")
def script():
    """scripts/guide_screenshots.py, imported (it is not a package); importing it starts nothing."""
    spec = importlib.util.spec_from_file_location(
        "guide_screenshots", ROOT / "scripts" / "guide_screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_the_script_takes_exactly_the_screenshots_the_guides_show(script):
    assert set(script.SHOTS) == guides.shot_names()
    assert set(script.LANGUAGES) == set(LANGUAGES)
    assert script.VIEWPORT == dict(zip(("width", "height"), guides.SHOT_SIZE, strict=True))


class Scene(dict):
    """Any id the pages need: the URL names and their arguments are what is checked."""

    def __missing__(self, key):
        return 7


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_the_script_visits_exists(script, language):
    for name, shot in script.SHOTS.items():
        try:
            url = script.url_of("http://testserver", language, shot.page(Scene()))
        except NoReverseMatch as error:
            pytest.fail(f"{name}: {error}")
        assert url.startswith(f"http://testserver/{language}/"), name


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_screenshot_is_on_disk_at_its_size_and_small(language):
    for name in sorted(guides.shot_names()):
        path = guides.shot_path(language, name)
        assert path.is_file(), f"{path} is missing: run `make guides`"
        assert path.stat().st_size < 100_000, f"{path} is too heavy"
        with Image.open(path) as image:
            assert (image.format, image.size) == ("WEBP", guides.SHOT_SIZE), path


def test_no_screenshot_is_left_over_from_a_guide_that_no_longer_shows_it():
    on_disk = {path.stem for language in LANGUAGES for path in (guides.SHOTS_DIR / language).glob("*")}
    assert on_disk == guides.shot_names()
