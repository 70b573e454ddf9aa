"""The apps' labels leave a shop's own app names free: a host project may have a ``content`` or ``support`` app."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.apps.registry import Apps
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import ROOT

# Our packages, found on disk rather than listed: a new app without a prefixed label fails here too.
PROJECT_PACKAGES = sorted(path.parent.name for path in ROOT.glob("*/apps.py"))
OURS = [config for config in apps.get_app_configs() if config.name in PROJECT_PACKAGES]


def test_the_project_packages_are_installed():
    assert {"ecomcms", "content", "support", "privacy", "recommender", "storefront"} <= {c.name for c in OURS}


@pytest.mark.parametrize("config", OURS, ids=lambda config: config.name)
def test_every_label_is_prefixed(config):
    assert config.label.startswith("ecomcms"), config.label
    if config.name.startswith("ecomcms"):  # ecomcms, ecomcms_demo: the package name is prefixed already
        assert config.label == config.name
    else:
        assert config.label == f"ecomcms_{config.name}"
        assert "ecomcms" not in str(config.verbose_name).lower()  # the admin reads "Content", not the label


@pytest.fixture
def host_apps(tmp_path, monkeypatch):
    """A host project's apps named like ours: ``hostshop.content`` and so on, labelled ``content``..."""
    (tmp_path / "hostshop").mkdir()
    (tmp_path / "hostshop" / "__init__.py").write_text("")
    names = [config.name for config in OURS if not config.name.startswith("ecomcms")]
    for name in names + ["clash"]:
        (tmp_path / "hostshop" / name).mkdir()
        (tmp_path / "hostshop" / name / "__init__.py").write_text("")
    # One more app that does take one of our labels: the registry must refuse it, or the test proves nothing.
    (tmp_path / "hostshop" / "clash" / "apps.py").write_text(
        "from django.apps import AppConfig\n\n\nclass ClashConfig(AppConfig):\n"
        "    name = 'hostshop.clash'\n    label = 'ecomcms_content'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return [f"hostshop.{name}" for name in names]


def test_a_host_with_apps_labelled_like_our_packages_starts(host_apps):
    ours = [config.name for config in OURS if config.name != "ecomcms"]  # its ready() patches the admin site
    registry = Apps(installed_apps=["django.contrib.contenttypes", "django.contrib.auth", *host_apps, *ours])
    labels = {config.label for config in registry.get_app_configs()}
    assert {"content", "support", "privacy", "recommender", "storefront"} <= labels
    assert {"ecomcms_content", "ecomcms_support", "ecomcms_privacy"} <= labels


def test_a_host_app_taking_one_of_our_labels_is_refused(host_apps):
    with pytest.raises(ImproperlyConfigured, match="labels aren't unique, duplicates: ecomcms_content"):
        Apps(installed_apps=["hostshop.clash", "content"])
