"""Packaging beyond what pyproject.toml can declare: the repository's `testsuites/`, `fixtures/` and `docs/`
folders stay where they are (their source of truth) but install inside the package namespace, so a wheel
has no generic top-level `testsuites` and finds everything through `importlib.resources`:

  testsuites/  -> ra_conformance.suites     (the conformance suites and their pytest.ini)
  fixtures/    -> ra_conformance.fixture_kit (resources/*.json, expectations.json, transaction.json, schema)
  docs/        -> ra_conformance.docs        (summary.schema.json, the CI example)

Editable installs (`pip install -e .`) map the same names onto the same folders.
"""

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

MAPPED = {
    "ra_conformance.suites": "testsuites",
    "ra_conformance.fixture_kit": "fixtures",
    "ra_conformance.docs": "docs",
}
DATA = {
    "ra_conformance.suites": ["pytest.ini"],
    "ra_conformance.fixture_kit": ["*.json", "resources/*.json", "README.md"],
    "ra_conformance.docs": ["*.json", "*.yml", "*.md"],
}


class BuildPy(build_py):
    """The kit ships as data only: its generator (build_kit.py, kitgen/) is a repository tool."""

    def find_package_modules(self, package: str, package_dir: str):  # type: ignore[no-untyped-def]
        modules = super().find_package_modules(package, package_dir)
        if package == "ra_conformance.fixture_kit":
            return [m for m in modules if m[1] == "__init__"]
        return modules


setup(
    packages=find_packages(include=["ra_conformance", "ra_conformance.*"]) + sorted(MAPPED),
    package_dir=MAPPED,
    package_data={"": ["*.json", "*.toml", "*.html", "*.css"], **DATA},
    cmdclass={"build_py": BuildPy},
)
