"""Validator(version): base R4 structure + the version's RA profiles, extensions and invariants."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import Any

from ra_conformance.ig import DEFAULT_IG_VERSION, PROFILE_BUNDLE, SD
from ra_conformance.ig.rules import Profile
from ra_conformance.ig.versions import ruleset
from ra_conformance.issues import ERROR, WARNING, Issue, Severity
from ra_conformance.validation import skeletons, tables, verdicts
from ra_conformance.validation.extensions import check_all
from ra_conformance.validation.issue import resource_label
from ra_conformance.validation.profiles import check_profile, must_support_paths, with_bases
from ra_conformance.validation.structure import WalkContext, walk_resource

# Rule ids judged by base FHIR alone (kept by check_incoming for any resource): structure, bindings, and
# every base R4 invariant key (dom-3, per-1, bdl-7, ...).
BASE_RULE_PREFIXES = ("struct-", "ele-", "ext-", "ref-", "invariant-")


@lru_cache(maxsize=1)
def _base_keys() -> frozenset[str]:
    return frozenset(row[1] for rows in tables.load()["constraints"].values() for row in rows)


def is_base_rule(rule: str) -> bool:
    return rule.startswith(BASE_RULE_PREFIXES) or rule in _base_keys()


def _claimed(resource: dict[str, Any]) -> list[str]:
    meta = resource.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    if not isinstance(profiles, list):
        return []
    return [p.split("|", 1)[0] for p in profiles if isinstance(p, str)]


class Validator:
    """Validation for one IG version; stateless between calls, safe to share."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.rules = ruleset(version)

    # -- public API -------------------------------------------------------------------------------
    def validate(self, resource: Any, profile: str | None = None, *, ordinal: int = 0) -> list[Issue]:
        """Issues of ``resource`` (and every resource inside it). ``profile`` None: its meta.profile."""
        key = verdicts.key_of(self.version, profile, resource)
        if key is not None:
            found = verdicts.recall(key, ordinal)
            if found is not None:
                return found
        masked = skeletons.mask(self.version, profile, resource)
        issues = skeletons.recall(masked, resource_label(resource, ordinal)) if masked is not None else None
        if issues is None:
            issues, ctx = self._run(resource, profile, ordinal)
            if len({id(res) for res, _, _ in ctx.resources}) != len(ctx.resources):
                return issues
            if masked is not None and len(ctx.resources) == 1:
                skeletons.remember(masked, issues, ctx.resources[0][1], ctx.applied, self.rules)
        if key is not None:
            verdicts.remember(key, ordinal, issues)
        return issues

    def validate_answer_bundle(self, bundle: Any, *, ordinal: int = 0) -> list[Issue]:
        """A coding-gap answer Bundle: ra-measurereport-bundle, ra-measurereport on its reports, US Core
        Patient on its Patient (REQ-130..REQ-134). Given the whole $report Parameters answer instead,
        every ``return`` Bundle in it gets that treatment."""
        if isinstance(bundle, dict) and bundle.get("resourceType") == "Parameters":
            params = raw if isinstance(raw := bundle.get("parameter"), list) else []
            returns = [p["resource"] for p in params
                       if isinstance(p, dict) and p.get("name") == "return" and isinstance(p.get("resource"), dict)
                       and p["resource"].get("resourceType") == "Bundle"]
            return self._run(bundle, None, ordinal, [(r, PROFILE_BUNDLE) for r in returns])[0]
        return self.validate(bundle, PROFILE_BUNDLE, ordinal=ordinal)

    def must_support(self, resources: Iterable[dict[str, Any]]) -> dict[str, dict[str, bool]]:
        """profile url -> {must-support element path: populated by at least one resource}."""
        table: dict[str, dict[str, bool]] = {}
        for resource in resources:
            if not isinstance(resource, dict):
                continue
            ctx = WalkContext()
            walk_resource(resource, "", ctx)
            for res, _, url, _ in self._assignments(ctx, None, lambda label: _ignore):
                for prof in with_bases(url, self.rules):
                    row = table.setdefault(prof.url, {path: False for path, _ in _ms_paths(prof, self.version)})
                    for path, populated in _ms_paths(prof, self.version):
                        if not row[path] and populated(res):
                            row[path] = True
        return table

    # -- internals --------------------------------------------------------------------------------
    def _run(self, resource: Any, profile: str | None, ordinal: int,
             nested: list[tuple[dict[str, Any], str]] | None = None) -> tuple[list[Issue], WalkContext]:
        ctx = WalkContext(ordinal=ordinal, version=self.version)
        walk_resource(resource, "", ctx)
        issues = ctx.issues
        if not isinstance(resource, dict):
            return issues, ctx

        reporters: dict[str, Callable[[Severity, str, str, str], None]] = {}

        def reporter(label: str) -> Callable[[Severity, str, str, str], None]:
            found = reporters.get(label)
            if found is None:
                def found(severity: Severity, rule: str, location: str, message: str) -> None:
                    issues.append(Issue(severity, location, rule, message, label))
                reporters[label] = found
            return found

        if profile is not None and profile.split("|", 1)[0] not in self.rules.profiles:
            issues.append(Issue(ERROR, ctx.resources[0][1], "profile-unknown",
                                f"{profile} is not a profile of IG version {self.version}", ctx.resources[0][2]))
            profile = None
        self._assignments(ctx, profile, reporter, nested or [])
        bad = check_all(ctx.extensions, self.rules, reporter, ctx.ext_json)
        for entry, epath, start, end in ctx.replayed:  # subtrees whose extensions all passed: not replayed again
            if not any(start <= i < end for i in bad):
                entry.clean.add((self.version, epath))
        return _dedup(issues), ctx

    def _assignments(self, ctx: WalkContext, explicit: str | None,
                     reporter: Callable[[str], Callable[[Severity, str, str, str], None]],
                     nested: Iterable[tuple[dict[str, Any], str]] = ()
                     ) -> list[tuple[dict[str, Any], str, str, str]]:
        """Apply every profile that applies (explicit, meta.profile, Bundle entry slices); returns them."""
        labels = {id(res): label for res, _, label in ctx.resources}
        work: list[tuple[dict[str, Any], str, str, str]] = []
        if explicit is not None:
            root, rloc, label = ctx.resources[0]
            work.append((root, rloc, explicit.split("|", 1)[0], label))
        located = {id(res): (res, rloc, label) for res, rloc, label in ctx.resources}
        for res, url in nested:
            if id(res) in located:
                _, rloc, label = located[id(res)]
                work.append((res, rloc, url, label))
        for res, rloc, label in ctx.resources:
            for url in _claimed(res):
                if url in self.rules.profiles:
                    work.append((res, rloc, url, label))
                elif url.startswith(SD):
                    reporter(label)(WARNING, "profile-unknown", rloc,
                                    f"{url} is not a profile of IG version {self.version}; not checked")
        done: set[tuple[int, str]] = set()
        applied = []
        while work:
            res, rloc, url, label = work.pop(0)
            wanted = self.rules.profiles[url].type
            if res.get("resourceType") != wanted:
                if (id(res), url) not in done:
                    done.add((id(res), url))
                    reporter(label)(ERROR, "profile-type", rloc, f"{url} profiles {wanted}, not "
                                    f"{res.get('resourceType')}")
                continue
            for prof in with_bases(url, self.rules):
                if (id(res), prof.url) in done:
                    continue
                done.add((id(res), prof.url))
                applied.append((res, rloc, prof.url, label))
                if res is ctx.resources[0][0]:
                    ctx.applied.append(prof.url)
                for sub, sloc, surl in check_profile(res, rloc, prof, self.rules, reporter(label), ctx.full_urls,
                                                       ctx.node_json):
                    work.append((sub, sloc, surl, labels.get(id(sub), label)))
        return applied


_MS_CACHE: dict[tuple[str, str], tuple[tuple[str, Any], ...]] = {}


def _ms_paths(prof: Profile, version: str) -> tuple[tuple[str, Any], ...]:
    key = (version, prof.url)
    if key not in _MS_CACHE:
        _MS_CACHE[key] = tuple(must_support_paths(prof))
    return _MS_CACHE[key]


def _ignore(*_: str) -> None:
    """A reporter that drops issues (must-support coverage only needs the profile assignments)."""


def _dedup(issues: list[Issue]) -> list[Issue]:
    """One issue per (resource, location, rule); a base min-1 issue gives way to the profile's REQ issue
    for the same element (e.g. MeasureReport.status: REQ-100 rather than struct-cardinality), and an
    error at a location makes warnings there redundant."""
    seen: set[tuple[str, str, str]] = set()
    profiled = {(i.resource, i.location) for i in issues if i.rule.startswith("REQ-") and i.severity == ERROR}
    erroneous = {(i.resource, i.location) for i in issues if i.severity == ERROR}
    out = []
    for issue in issues:
        key = (issue.resource, issue.location, issue.rule)
        if issue.rule == "struct-cardinality" and key[:2] in profiled:
            continue
        if issue.severity != ERROR and key[:2] in erroneous:
            continue
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out


@cache
def validator_for(version: str) -> Validator:
    """The shared Validator of an IG version (one of ig.versions.ids())."""
    return Validator(version)


def check_incoming(resource: Any, version: str = DEFAULT_IG_VERSION) -> list[Issue]:
    """What a server rejects (422) on create/transaction: base-structure errors of anything, plus profile
    errors of resources whose meta.profile names an RA profile."""
    validator = validator_for(version)
    issues, ctx = validator._run(resource, None, 0)
    ra_labels = {label for res, _, label in ctx.resources if any(u.startswith(SD) for u in _claimed(res))}
    return [i for i in issues if i.severity == ERROR and (is_base_rule(i.rule) or i.resource in ra_labels)]
