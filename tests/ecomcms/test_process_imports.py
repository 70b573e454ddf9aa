"""What a process loads by starting: the numeric and model libraries wait for the code that uses them.

Every process imports the apps' services when Django starts (the admin's modules) and a Celery
worker their tasks, so a library imported at the top of a service is in every web and worker
process. scikit-learn, scipy, implicit and pandas took about 85 MB of each process, a generation
worker's included (docs/performance.md, "Memory per generation process"); torch and transformers
another 0.2-0.3 GB in web processes that never generate.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sklearn", "scipy", "implicit", "pandas", "torch", "transformers", "sentence_transformers", "peft")

SCRIPT = """
import importlib, json, sys
import django
django.setup()
from django.apps import apps
from django.urls import get_resolver
get_resolver().url_patterns  # every API and admin view module
loaded = []
for config in apps.get_app_configs():
    for part in ("models", "services", "selectors", "tasks", "admin", "apis"):
        try:
            importlib.import_module(f"{config.name}.{part}")
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith(config.name):
                raise
        else:
            loaded.append(f"{config.name}.{part}")
from ecomcms.celery import app
app.loader.import_default_modules()  # what a worker imports before its first task
print(json.dumps({"heavy": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:])), "loaded": loaded}))
"""


def test_starting_django_and_a_worker_loads_no_numeric_or_model_library(tmp_path):
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
           "DJANGO_SETTINGS_MODULE": "ecomcms.settings", "ECOMCMS_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, *HEAVY], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert {"support.services", "recommender.services", "recommender.admin", "content.tasks"} <= set(result["loaded"])
    assert result["heavy"] == []


def test_the_lazy_packages_still_give_every_name_they_list():
    import recommender.engine
    import support.intent

    for package in (recommender.engine, support.intent):
        for name in package.__all__:
            assert getattr(package, name) is not None, (package.__name__, name)
