"""Augmentation paths: each a small function that proposes changed copies of a profile.

A path reads the profile's raw data and the failing checks, and returns candidates: a
changed copy of the data, the changes in words, the checks it addresses and its trade-offs
(money, lead time, accuracy risk, operational complexity), from sourced figures where they
exist. Paths never touch the input: every candidate is a deep copy.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from aiceiling.catalog import Catalog, Figure
from aiceiling.checks import Result
from aiceiling.profile.model import Profile
from aiceiling.resolve import Resolved


class Change(NamedTuple):
    field: str
    before: Any
    after: Any


class Candidate(NamedTuple):
    path: str                      # stable id of the path
    summary: str                   # what changes, in a few words
    data: dict[str, Any]           # the changed profile (raw data)
    changes: tuple[Change, ...]
    addresses: tuple[str, ...]     # check ids the path is meant to fix
    tradeoffs: tuple[str, ...]
    complexity: int                # 1 low, 2 medium, 3 high operational complexity
    unverified: str = ""           # why the path's effect cannot be verified (never a fix)


class Situation(NamedTuple):
    """What the paths may read about the profile as it stands."""

    data: dict[str, Any]
    profile: Profile
    resolved: Resolved
    results: dict[str, Result]
    catalog: Catalog
    facts: dict[str, Any]
    values: dict[str, float]       # the named estimates, SI-free as reported (kW, MW, ms, …)
    on: Any = None                 # the evaluation date

    def failing(self, *ids: str) -> bool:
        return any(self.results[i].status in ("fail", "warn") for i in ids if i in self.results)

    def estimate(self, key: str) -> float | None:
        """A named estimate of the profile as it stands, or None."""
        value = self.values.get(key)
        return float(value) if value is not None else None

    def tokens_needed(self) -> int | None:
        """Prompt + output tokens of one request, when both are given."""
        w = self.profile.workload
        return w.prompt_tokens + w.output_tokens if w.prompt_tokens and w.output_tokens \
            else None


Path = Callable[[Situation], Iterator[Candidate]]

_PRECISION_BITS = {"fp32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "fp4": 4, "int4": 4}
_SERVING = ("llm-inference", "inference")


def changed(data: dict[str, Any], edits: dict[str, Any]) -> tuple[dict[str, Any],
                                                                   tuple[Change, ...]]:
    """A deep copy of ``data`` with dotted fields set (None removes one), and the changes."""
    out = copy.deepcopy(data)
    changes = []
    for dotted, value in edits.items():
        node = out
        *parents, last = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        before = node.get(last)
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
        if before != value:
            changes.append(Change(dotted, before, value))
    return out, tuple(changes)


def price_text(catalog: Catalog, hardware: str, count: int, *, more: bool = False) -> str:
    """What ``count`` accelerators cost at the catalog's sourced price, in words."""
    entry = catalog.get("accelerators", hardware)
    price = entry.get("price") if entry else None
    extra = " more" if more else ""
    if isinstance(price, Figure):
        return (f"{count}{extra}× {hardware} at {price.text} ≈ "
                f"{price.value.amount * count:,.0f} {price.value.currency} "
                f"({price.source.title.split(' — ')[0]}, {price.as_of})")
    return f"{count}{extra}× {hardware} (no sourced price)"


def quantize(s: Situation) -> Iterator[Candidate]:
    w = s.profile.workload
    if w.kind not in _SERVING:
        return
    hw = s.resolved.hardware
    bits = _PRECISION_BITS[w.precision]
    for target in ("fp8", "int8", "fp4", "int4"):
        if _PRECISION_BITS[target] >= bits:
            continue
        if target in ("fp8", "fp4") and (hw is None or target not in hw.peak):
            continue  # float formats only where the hardware computes in them
        entry = s.catalog.get("quantization", target)
        accuracy = entry.get("accuracy") if entry else None
        risk = (f"accuracy: {accuracy.note} ({accuracy.source.title.split(':')[0]})"
                if isinstance(accuracy, Figure) else "accuracy: evaluate on the task")
        data, changes = changed(s.data, {"workload.precision": target})
        compute = "weight-only, computes at 16 bits" if target == "int4" else \
            f"{target} arithmetic on the hardware's {target} tensor cores" if target == "fp4" \
            else f"{target} arithmetic where the hardware has it"
        yield Candidate(f"quantize-{target}", f"weights at {target} ({compute})", data,
                        changes, ("compute.memory_fit", "compute.tpot", "compute.throughput",
                                  "energy.battery_life", "energy.power_budget"),
                        (risk,), 1)


def smaller_model(s: Situation) -> Iterator[Candidate]:
    w, model = s.profile.workload, s.resolved.model
    if w.kind not in _SERVING or not isinstance(w.model, str) or not model.params:
        return
    options = []
    for key, entry in s.catalog.section("models").items():
        if entry.get("kind", "llm") != model.kind or key == model.id:
            continue
        from aiceiling.resolve import model_from_entry

        other = model_from_entry(entry)
        needed = s.tokens_needed()
        if needed and other.max_context and needed > other.max_context:
            continue  # cannot hold the request: never proposed
        if 0 < other.active_params < 0.7 * model.active_params:
            options.append((other.active_params, key, other))
    # The two largest that are still clearly smaller: the least capability given up.
    for _, key, other in sorted(options, reverse=True)[:2]:
        data, changes = changed(s.data, {"workload.model": key})
        kind = "sparse MoE" if other.experts > 1 else "smaller"
        yield Candidate(
            f"model-{key}", f"{kind} model {key} ({other.active_params / 1e9:.3g} B active of "
            f"{other.params / 1e9:.3g} B)", data, changes,
            ("compute.memory_fit", "compute.tpot", "compute.throughput", "energy.battery_life",
             "energy.power_budget", "energy.cost_budget"),
            (f"capability: {model.active_params / 1e9:.3g} B → {other.active_params / 1e9:.3g} "
             "B active parameters; evaluate on the task before switching",), 2)


def edge(s: Situation) -> Iterator[Candidate]:
    p = s.profile
    dep = p.deployment
    if p.workload.kind not in _SERVING or dep.placement in ("on-prem", "edge", "device") or \
            dep.accelerators > 64:
        return
    if not s.failing("data.boundary", "data.residency", "compute.latency_e2e", "compute.ttft",
                     "data.transfer"):
        return
    country = (p.data.origin_country if p.data and p.data.origin_country else None) or \
        s.resolved.country
    hardware = [h for h in (s.resolved.hardware.id if s.resolved.hardware else None, "l40s",
                            "l4", "jetson-agx-orin-64gb") if h]
    seen: set[str] = set()
    for hw in hardware:
        if hw in seen:
            continue
        seen.add(hw)
        count = dep.accelerators if hw == hardware[0] else \
            max(1, min(dep.accelerators, 4))
        edits: dict[str, Any] = {"deployment.placement": "edge", "deployment.hardware": hw,
                                 "deployment.accelerators": count, "deployment.region": None,
                                 "deployment.country": country,
                                 "deployment.access_network": "lan", "deployment.uplink": None,
                                 "deployment.tensor_parallel": None}
        if dep.distance is None or dep.distance > 1_000.0:  # on site: within a kilometre
            edits["deployment.distance"] = "0.1 km"
        data, changes = changed(s.data, edits)
        yield Candidate(f"edge-{hw}", f"inference on site: {count}× {hw}, LAN", data, changes,
                        ("data.boundary", "data.residency", "compute.latency_e2e",
                         "compute.ttft", "data.transfer"),
                        (f"hardware on site: {price_text(s.catalog, hw, count)}",
                         "the site's power, racks and cooling now apply"), 2)


def federated(s: Situation) -> Iterator[Candidate]:
    p = s.profile
    if p.workload.kind not in ("training", "fine-tuning") or not s.failing("data.boundary"):
        return
    params = s.resolved.model.params
    update_gb = 2 * params * 2 / 1e9  # bf16 update out and global model back, per round
    rounds_per_day = 24
    country = (p.data.origin_country if p.data and p.data.origin_country else None) or \
        s.resolved.country
    data, changes = changed(s.data, {
        "deployment.placement": "on-prem", "deployment.region": None,
        "deployment.country": country,
        "data.volume_per_day": f"{update_gb * rounds_per_day:.6g} GB"})
    yield Candidate("federated", "federated training: data stays, model updates travel",
                    data, changes, ("data.boundary", "data.residency"),
                    (f"model updates travel: {update_gb:.3g} GB per round and site (FedAvg, "
                     f"McMahan et al. 2017), {rounds_per_day} rounds a day assumed",
                     "convergence takes more rounds on non-IID data"), 3)


def less_data(s: Situation) -> Iterator[Candidate]:
    """Too little data: train on what there is, or a smaller model it is optimal for."""
    w = s.profile.workload
    if w.kind not in ("training", "fine-tuning") or not s.failing("data.sufficiency") or \
            w.data_tokens_available is None or w.train_tokens is None:
        return
    available = w.data_tokens_available
    data, changes = changed(s.data, {"workload.train_tokens": f"{available:.4g}"})
    yield Candidate("train-on-available-data",
                    f"train on the {available / 1e12:.3g} T tokens there are", data, changes,
                    ("data.sufficiency",),
                    (f"capability: {w.train_tokens / 1e12:.3g} T → {available / 1e12:.3g} T "
                     "tokens (Chinchilla: loss falls with data at fixed size, Hoffmann et al. "
                     "2022)",), 1)
    from aiceiling.physics.training import compute_optimal_tokens
    from aiceiling.resolve import model_from_entry

    options = []
    for key, entry in s.catalog.section("models").items():
        if entry.get("kind", "llm") != "llm" or key == s.resolved.model.id:
            continue
        params = model_from_entry(entry).params
        if 0 < params < 0.7 * s.resolved.model.params and \
                compute_optimal_tokens(params) <= available:
            options.append((params, key))
    if options:
        params, key = max(options)
        tokens = compute_optimal_tokens(params)
        data, changes = changed(s.data, {"workload.model": key,
                                         "workload.train_tokens": f"{tokens:.4g}"})
        yield Candidate(f"smaller-model-{key}",
                        f"a smaller specialized model: {key}, compute-optimal "
                        f"{tokens / 1e12:.3g} T tokens", data, changes, ("data.sufficiency",),
                        (f"capability: {s.resolved.model.params / 1e9:.3g} B → "
                         f"{params / 1e9:.3g} B parameters",), 2)


def accelerator(s: Situation) -> Iterator[Candidate]:
    p = s.profile
    current = s.resolved.hardware
    if current is None or not s.failing(
            "compute.memory_fit", "compute.tpot", "compute.ttft", "compute.throughput",
            "compute.training_time", "compute.latency_e2e", "energy.power_budget",
            "physical.export_control", "energy.battery_life", "physical.rack_space"):
        return
    for key, entry in s.catalog.section("accelerators").items():
        if key == current.id or entry.get("class", "datacenter") != current.hw_class:
            continue
        if "bandwidth" not in entry or not entry.get("peak"):
            continue
        data, changes = changed(s.data, {"deployment.hardware": key,
                                         "deployment.tensor_parallel": None})
        lead = entry.get("lead_time")
        lead_text = f"lead time {lead.text} ({lead.as_of})" if isinstance(lead, Figure) else \
            "lead time not catalogued"
        yield Candidate(f"accelerator-{key}", f"{p.deployment.accelerators}× {key} instead of "
                        f"{current.id}", data, changes,
                        ("compute.memory_fit", "compute.tpot", "compute.ttft",
                         "compute.throughput", "compute.training_time",
                         "physical.export_control"),
                        (price_text(s.catalog, key, p.deployment.accelerators), lead_text), 2)


def cooling(s: Situation) -> Iterator[Candidate]:
    site = s.profile.site
    if site is None or not s.failing("physical.rack_density"):
        return
    for tech in ("direct-liquid", "immersion"):
        entry = s.catalog.get("cooling", tech)
        limit = entry.get("rack_limit") if entry else None
        if not isinstance(limit, Figure) or tech == site.cooling:
            continue
        edits: dict[str, Any] = {"site.cooling": tech}
        if site.rack_power_limit is not None and site.rack_power_limit < limit.value:
            edits["site.rack_power_limit"] = limit.text
        data, changes = changed(s.data, edits)
        yield Candidate(f"cooling-{tech}", f"{tech} cooling ({limit.text} per rack)", data,
                        changes, ("physical.rack_density", "physical.rack_space"),
                        (f"cooling retrofit: {tech} loops and heat rejection; cost and lead "
                         "time not catalogued", f"practical limit {limit.text} "
                         f"({limit.source.title.split(' — ')[0]}, {limit.as_of})"), 3)


def region(s: Situation) -> Iterator[Candidate]:
    p = s.profile
    if p.deployment.placement not in ("cloud", "hybrid") or not s.failing(
            "data.residency", "physical.export_control", "energy.carbon_budget",
            "data.boundary"):
        return
    allowed: set[str] = set()
    for name in (p.data.residency if p.data else []):
        bloc = s.catalog.get("blocs", name)
        allowed.update(bloc.get("members", []) if bloc else [name.upper()])
    home = p.data.origin_country.upper() if p.data and p.data.origin_country else None
    if home and not allowed:
        allowed = {home}
    current = s.resolved.region
    provider = current.get("provider") if current else None
    options = []
    for key, entry in s.catalog.section("regions").items():
        country = str(entry.get("country"))
        if allowed and country not in allowed:
            continue
        if provider and entry.get("provider") != provider:
            continue
        fig = entry.get("carbon_intensity")
        where = "region"
        if not isinstance(fig, Figure):  # the country's grid, as the estimates fall back to
            fig = (s.catalog.get("countries", country) or {}).get("carbon_intensity")
            where = "country"
        carbon = float(fig.value) if isinstance(fig, Figure) else math.inf
        options.append((country != home, carbon, key, entry, where))
    for _, carbon, key, entry, where in sorted(options, key=lambda o: o[:3])[:2]:
        data, changes = changed(s.data, {"deployment.region": key, "deployment.country": None})
        grid = f"{where} grid {carbon * 3.6e9:.0f} g/kWh" if math.isfinite(carbon) else \
            "grid intensity not catalogued"
        yield Candidate(f"region-{key}", f"run in {key} ({entry.get('country')})", data,
                        changes, ("data.residency", "physical.export_control",
                                  "energy.carbon_budget", "data.boundary"),
                        (grid, "migration of the deployment; the latency re-evaluated keeps "
                         "deployment.distance: set it to the new region's"), 2)


def hybrid(s: Situation) -> Iterator[Candidate]:
    """Hybrid split: the sensitive part on site (data boundary), or the latency-critical
    part on site next to its users (latency), the rest in the cloud."""
    p = s.profile
    if p.workload.kind not in _SERVING or p.deployment.placement != "cloud":
        return
    if s.failing("data.boundary"):
        data, changes = changed(s.data, {"deployment.placement": "hybrid"})
        yield Candidate("hybrid-split",
                        "hybrid: the sensitive part on site, the rest in the cloud",
                        data, changes, ("data.boundary",),
                        ("two deployments to run and keep consistent; the on-site part "
                         "needs its own hardware",), 3)
    if s.failing("compute.latency_e2e", "compute.ttft"):
        edits: dict[str, Any] = {"deployment.placement": "hybrid",
                                 "deployment.access_network": "lan",
                                 "deployment.region": None,
                                 "deployment.country": s.resolved.country}
        if p.deployment.distance is None or p.deployment.distance > 1_000.0:
            edits["deployment.distance"] = "0.1 km"
        data, changes = changed(s.data, edits)
        yield Candidate("hybrid-local-latency",
                        "hybrid: the latency-critical path served on site over the LAN, "
                        "batch and reporting work in the cloud", data, changes,
                        ("compute.latency_e2e", "compute.ttft"),
                        ("two deployments; the on-site part needs its own hardware, power "
                         "and racks",), 3)


# Controls a system of record already enforces when the AI only proposes and the core
# transacts (ERP: identity, permissions, audit trail, SOX, segregation of duties), and the
# controls a deterministic rule core gives a decision (finance: a replayable, explainable
# rule decides; the model advises).
_ERP_CORE = ("identity", "permissions", "audit-trail", "sox", "segregation-of-duties",
             "access-logging")
_DETERMINISTIC_CORE = ("reproducibility", "explainability", "audit-trail")


def hybrid_core(s: Situation) -> Iterator[Candidate]:
    """The seeds' hybrid rows, reachable from the checks they relieve: ERP's governed core
    (controls, latency) and finance's deterministic core (determinism, controls, latency)."""
    p, gov = s.profile, s.profile.governance
    missing = [c for c in (gov.requires if gov else []) if c not in (gov.provides if gov
                                                                      else [])]
    latency = s.failing("compute.latency_e2e", "compute.tpot", "compute.ttft")
    if p.industry == "enterprise-erp" and (s.failing("governance.controls") or latency):
        given = [c for c in missing if c in _ERP_CORE]
        edits: dict[str, Any] = {"deployment.placement": "hybrid"}
        if given:
            edits["governance.provides"] = [*(gov.provides if gov else []), *given]
        if latency:
            edits["deployment.access_network"] = "lan"
            if p.deployment.distance is None or p.deployment.distance > 1_000.0:
                edits["deployment.distance"] = "0.1 km"
        data, changes = changed(s.data, edits)
        yield Candidate(
            "hybrid-governed-core", "hybrid: the ERP core transacts and enforces "
            f"{', '.join(given) or 'its controls'}; the model drafts beside it"
            + (", served on site" if latency else ""), data, changes,
            ("governance.controls", "compute.latency_e2e"),
            ("integration work: every AI action goes through the core's APIs and approval "
             "flow (not estimated)",), 3)
    if p.industry == "finance" and (s.failing("governance.determinism",
                                              "governance.controls") or latency):
        given = [c for c in missing if c in _DETERMINISTIC_CORE]
        count = _unbatched_count(s, queued=False)
        edits = {"deployment.serving_mode": "fixed-pipeline",
                 "deployment.accelerators": count}
        if given:
            edits["governance.provides"] = [*(gov.provides if gov else []), *given]
        data, changes = changed(s.data, edits)
        more = f"; {count} accelerators carry the model's peak unbatched" \
            if count > p.deployment.accelerators else ""
        yield Candidate(
            "hybrid-deterministic-core", "hybrid deterministic core: a replayable rule path "
            f"decides at fixed latency and provides {', '.join(given) or 'no missing control'}"
            f"; the model scores beside it{more}", data, changes,
            ("governance.determinism", "governance.controls"),
            ("two decision paths to keep consistent; the rules must be written and "
             "validated (not estimated)",), 3)


def _unbatched_count(s: Situation, queued: bool = True) -> int:
    """Accelerators that carry the peak one request at a time per replica (+25 %); for a
    ``queued`` pool (dedicated serving), with the headroom its queueing spread needs:
    replicas are added (M/G/c, one dispatcher) until the TTFT's p99 − p50 is within half
    the jitter budget. A fixed pipeline is statically scheduled: no queueing spread."""
    n = s.profile.deployment.accelerators
    replica, model = s.facts.get("replica"), s.facts.get("transformer")
    traffic, w = s.profile.workload.traffic, s.profile.workload
    if replica is None or model is None or traffic is None or not w.prompt_tokens or \
            not w.output_tokens:
        return n
    from aiceiling.physics import load, queueing

    def sigma(mean: int, p99: int | None, default: float) -> float:
        return queueing.lognormal_sigma(mean, p99) if p99 else default

    engine = load.Engine(replica, model, load.Request(
        float(w.prompt_tokens), float(w.output_tokens),
        sigma(w.prompt_tokens, w.prompt_tokens_p99, queueing.DEFAULT_LENGTH_SIGMA),
        sigma(w.output_tokens, w.output_tokens_p99, 0.0)))
    group = s.facts.get("group", 1)
    peak = traffic.requests_per_s * traffic.peak_factor
    replicas = max(1, math.ceil(peak * load.dedicated_service(engine)[0] * 1.25))
    jitter = w.latency.jitter if w.latency and queued else None
    for _ in range(64):
        point = load.dedicated_point(engine, peak, replicas)
        if jitter is None or (point is not None and
                              point.ttft_p99_s - point.ttft_p50_s <= jitter / 2):
            break
        replicas += max(1, replicas // 8)
    return max(n, int(replicas * group))


def deterministic(s: Situation) -> Iterator[Candidate]:
    if not s.failing("governance.determinism"):
        return
    for mode, path, summary, complexity in (
            ("dedicated", "dedicated-accelerators", "dedicated accelerators, batch 1", 2),
            ("fixed-pipeline", "deterministic-core",
             "deterministic core: a fixed-latency rule or pipeline path decides, the model "
             "advises", 3)):
        count = _unbatched_count(s, queued=mode == "dedicated")
        if count > s.profile.deployment.accelerators:
            summary += f", {count} accelerators to carry the peak unbatched"
        data, changes = changed(s.data, {"deployment.serving_mode": mode,
                                         "deployment.accelerators": count})
        yield Candidate(path, summary, data, changes, ("governance.determinism",),
                        ("lower utilization: no batching across requests",) if
                        mode == "dedicated" else
                        ("the model's answer arrives after the decision path; its jitter "
                         "figure is an engineering estimate",), complexity)


def controls(s: Situation) -> Iterator[Candidate]:
    gov = s.profile.governance
    if gov is None or not s.failing("governance.controls"):
        return
    missing = [c for c in gov.requires if c not in gov.provides]
    data, changes = changed(s.data, {"governance.provides": [*gov.provides, *missing]})
    fabric = " (a data-platform trust fabric in front of the model)" if \
        s.profile.industry == "enterprise-erp" else ""
    yield Candidate("add-controls", f"build the missing controls{fabric}: {', '.join(missing)}",
                    data, changes, ("governance.controls",),
                    ("engineering work, not estimated: each control must be built and "
                     "audited before go-live",), 2)


def second_provider(s: Situation) -> Iterator[Candidate]:
    if not s.failing("governance.provider_dependency"):
        return
    data, changes = changed(s.data, {"deployment.fallback": True})
    yield Candidate("second-provider", "a second provider or a local fallback model", data,
                    changes, ("governance.provider_dependency",),
                    ("a second integration to build, test and pay for",), 2)


PATHS: tuple[Path, ...] = (quantize, smaller_model, edge, federated, less_data, accelerator,
                           cooling, region, hybrid, hybrid_core, deterministic, controls,
                           second_provider)

# The seeds' industry → first constraint → path mapping, as a ranking prior (path id
# prefixes, most expected first).
PRIOR = {
    "healthcare": ("edge", "federated", "hybrid"),
    "finance": ("dedicated-accelerators", "hybrid-deterministic-core", "deterministic-core",
                "add-controls"),
    "manufacturing": ("edge", "neuromorphic", "accelerator"),
    "enterprise-erp": ("add-controls", "hybrid-governed-core", "hybrid"),
    "mobile-iot": ("quantize", "model", "sparsify", "neuromorphic", "accelerator"),
}
