"""Profile + catalog → the named estimates of SPEC §5, each with its derivation.

Every estimate records its formula, its inputs with units, and the references of the
constants and catalog figures it used, so ``explain`` can show where a number came from.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from aiceiling.catalog import Catalog, Figure
from aiceiling.physics import (
    calibration,
    inference,
    memory,
    network,
    power,
    serving,
    training,
)
from aiceiling.profile.model import Profile
from aiceiling.resolve import HardwareSpec, ModelSpec, Resolved

GB = 1e9
MS = 1e-3
# Largest model replica considered when the profile does not fix it: 8 nodes of 8 (GB200
# NVL72 racks hold 72), beyond which one model copy spanning more devices is not a serving
# layout anyone runs.
_MAX_GROUP = 72
DAY = 86_400.0

# Weight precision → arithmetic precision, when the hardware has that arithmetic.
# Weight-only formats (int4: AWQ/GPTQ W4A16) compute at 16 bits: quantizing weights cuts
# memory traffic, not FLOP cost (Lin et al. 2023, "AWQ", arXiv:2306.00978, §1).
_COMPUTE_PRECISION = {"fp32": ("fp32", "tf32", "bf16"), "bf16": ("bf16", "fp16"),
                      "fp16": ("fp16", "bf16"), "fp8": ("fp8", "bf16", "fp16"),
                      "int8": ("int8", "bf16", "fp16"), "fp4": ("fp4", "fp8", "bf16", "fp16"),
                      "int4": ("bf16", "fp16")}


class Estimate(NamedTuple):
    """One named figure with its derivation."""

    key: str
    value: float
    unit: str
    formula: str
    inputs: tuple[tuple[str, str], ...] = ()
    references: tuple[str, ...] = ()


class Assumption(NamedTuple):
    """A value the profile did not give, taken from a default or the catalog."""

    field: str
    value: str
    source: str


class Estimates:
    """Everything computed for one profile; checks read from here."""

    def __init__(self) -> None:
        self.values: dict[str, Estimate] = {}
        self.assumptions: list[Assumption] = []
        self.unknown: dict[str, str] = {}     # figure → why it is unknown
        self.facts: dict[str, Any] = {}       # internal figures for checks

    def add(self, key: str, value: float, unit: str, formula: str,
            inputs: dict[str, str] | None = None, references: tuple[str, ...] = ()) -> None:
        self.values[key] = Estimate(key, value, unit, formula,
                                    tuple((inputs or {}).items()), references)

    def get(self, key: str) -> float | None:
        estimate = self.values.get(key)
        return None if estimate is None else estimate.value

    def assume(self, field_path: str, value: str, source: str) -> None:
        self.assumptions.append(Assumption(field_path, value, source))


def compute_precision(weight_precision: str, peaks: dict[str, Figure]) -> str | None:
    """The arithmetic precision the hardware runs a model stored at ``weight_precision``."""
    for candidate in _COMPUTE_PRECISION[weight_precision]:
        if candidate in peaks:
            return candidate
    return None


def kv_precision(profile: Profile) -> str:
    """KV-cache precision: as given, else the weights' precision but not below fp8."""
    if profile.workload.kv_precision:
        return profile.workload.kv_precision
    weights = profile.workload.precision
    return "fp8" if weights in ("fp4", "int4") else weights


def _fmt(value: float, unit: str) -> str:
    return f"{value:.4g} {unit}"


def _ref(fig: Figure | None) -> tuple[str, ...]:
    return (fig.reference(),) if fig is not None else ()


class _Builder:
    def __init__(self, profile: Profile, resolved: Resolved, catalog: Catalog) -> None:
        self.profile = profile
        self.model: ModelSpec = resolved.model
        self.hardware: HardwareSpec | None = resolved.hardware
        self.catalog = catalog
        self.resolved = resolved
        self.out = Estimates()

    # -- shared pieces ----------------------------------------------------------------
    def efficiency(self, compute_prec: str, vision: bool = False) -> tuple[float, float, float]:
        """Achievable fractions: matmul compute, 16-bit attention compute, bandwidth."""
        eff = self.profile.workload.efficiency
        given_compute = eff.compute if eff and eff.compute else None
        bandwidth = eff.bandwidth if eff and eff.bandwidth else None
        low = compute_prec not in ("fp32", "tf32", "bf16", "fp16")
        if given_compute is None:
            if vision:
                compute = calibration.EFF_COMPUTE_VISION
                source = "calibrated: Ultralytics YOLOv8 A100 TensorRT latencies"
            else:
                compute = calibration.EFF_COMPUTE_LOW if low else calibration.EFF_COMPUTE_16
                source = (f"calibrated for {compute_prec} matmuls: "
                          f"{calibration.CALIBRATION_REFERENCE}")
            self.out.assume("workload.efficiency.compute", f"{compute:g}", source)
            attention = calibration.EFF_COMPUTE_16
        else:
            compute = attention = given_compute
        if bandwidth is None:
            bandwidth = calibration.EFF_BANDWIDTH
            self.out.assume("workload.efficiency.bandwidth", f"{bandwidth:g}",
                            f"calibrated: {calibration.CALIBRATION_REFERENCE}")
        self.out.facts["efficiency"] = {"compute": compute, "attention": attention,
                                        "bandwidth": bandwidth}
        return compute, attention, bandwidth

    def network(self) -> float | None:
        dep = self.profile.deployment
        if dep.distance is None and dep.access_network is None:
            self.out.unknown["network_rtt_ms"] = \
                "deployment.distance and deployment.access_network are not given"
            return None
        refs: list[str] = []
        propagation = self.catalog.constant("networks", "fiber.propagation")
        refs.append(propagation.reference())
        route = self.route_factor()
        access = 0.0
        access_text = "none given"
        if dep.access_network is not None:
            entry = self.catalog.get("access_networks", dep.access_network)
            rtt = entry.get("rtt") if entry else None
            if not isinstance(rtt, Figure):
                self.out.unknown["network_rtt_ms"] = \
                    f"no sourced latency for access network {dep.access_network!r}"
                return None
            access = float(rtt.value)
            access_text = f"{dep.access_network}: {access / MS:.3g} ms"
            refs.append(rtt.reference())
        distance = dep.distance or 0.0
        rtt_s = network.network_rtt(distance, propagation.value, route, access)
        self.out.add("network_rtt_ms", rtt_s / MS, "ms",
                     "2 × distance × route factor × fiber delay + access network RTT",
                     {"distance": _fmt(distance / 1e3, "km"),
                      "fiber delay": f"{propagation.value * 1e9:.4g} µs/km",
                      "route factor": f"{route:.3g}", "access network": access_text},
                     (*refs, "route factor: least-squares fit to catalog networks:measured_rtt"))
        return rtt_s

    def route_factor(self) -> float:
        propagation = self.catalog.constant("networks", "fiber.propagation").value
        factor = network.fit_route_factor(self.catalog.measured_rtts(), propagation)
        self.out.facts["route_factor"] = factor
        return factor

    def peak(self, precision: str) -> tuple[str, Figure] | None:
        hw = self.hardware
        assert hw is not None
        chosen = compute_precision(precision, hw.peak)
        if chosen is None:
            self.out.unknown["peak"] = (f"{hw.name} has no sourced peak for {precision} "
                                        "or a wider precision")
            return None
        return chosen, hw.peak[chosen]

    # -- LLM serving --------------------------------------------------------------------
    def llm(self) -> None:
        p, model, hw = self.profile, self.model, self.hardware
        w = p.workload
        counts = model.counts
        if counts is None or not model.has_attention_shape:
            self.out.unknown["model"] = (f"model {model.name!r} lacks the architecture "
                                         "(layers, hidden, heads, kv_heads, head_dim, vocab)")
            return
        assert model.layers and model.hidden and model.heads and model.head_dim
        precision = w.precision
        kv_prec = kv_precision(p)
        if not w.kv_precision:
            self.out.assume("workload.kv_precision", kv_prec,
                            "the weights' precision, not below fp8")
        full_params = counts.embedding + counts.lm_head
        weights = memory.weight_bytes(counts.blocks, full_params, precision)
        self.out.add("weights_gb", weights / GB, "GB",
                     "block parameters × bytes per weight (+ block scales) + embeddings "
                     "and output layer × 2 B",
                     {"parameters": f"{model.params / 1e9:.4g} B",
                      "precision": precision}, model.references)
        kv_value = memory.BYTES_PER_VALUE[kv_prec]
        if model.mla:
            kv_token = memory.mla_kv_bytes_per_token(
                model.layers, model.mla["kv_lora_rank"], model.mla["qk_rope_head_dim"],
                kv_value)
        else:
            assert model.kv_heads is not None
            kv_token = memory.kv_bytes_per_token(model.layers, model.kv_heads,
                                                 model.head_dim, kv_value)
        window = float(model.sliding_window) if model.sliding_window else math.inf
        self.out.facts["kv_bytes_per_token"] = kv_token
        if hw is None:
            return
        if hw.memory is None:
            self.out.unknown["memory"] = f"{hw.name} has no sourced memory figure"
            return
        prompt = w.prompt_tokens
        output = w.output_tokens
        if prompt is None or output is None:
            self.out.unknown["tokens"] = "workload.prompt_tokens and output_tokens are needed"
            return
        sequence_tokens = prompt + output
        kv_seq = memory.kv_cache_bytes(kv_token, sequence_tokens, 1, model.window_fraction,
                                       window)
        n = p.deployment.accelerators
        reserve = self.reserve()
        device_mem = float(hw.memory.value)
        node = hw.node_size or n

        def fits_one_sequence(group: int) -> bool:
            return memory.usable_memory(device_mem, group, reserve) >= weights + kv_seq

        given = p.deployment.tensor_parallel
        linked = hw.interconnect is not None or hw.host_link is not None
        # Without a sourced link between accelerators (separate edge modules), each one
        # serves its own replica: tensor parallelism over an unknown link is not assumed.
        divisors = [g for g in range(1, min(n, _MAX_GROUP) + 1) if n % g == 0]
        candidates = [given] if given else \
            [g for g in divisors if fits_one_sequence(g) and (linked or g == 1)] or \
            [divisors[-1] if linked else 1]  # nothing fits: the largest, to show how far off

        def max_batch_of(group: int) -> int:
            free = memory.usable_memory(device_mem, group, reserve) - weights
            return memory.max_sequences(free, kv_seq)

        peak = self.peak(precision)
        if hw.bandwidth is None or peak is None:
            if hw.bandwidth is None:
                self.out.unknown["bandwidth"] = f"{hw.name} has no sourced memory bandwidth"
            group = candidates[0]
            self.out.facts.update(group=group, replicas=n // group,
                                  max_batch=max_batch_of(group), concurrency=1,
                                  weights_per_replica=weights, reserve=reserve)
            self.memory_estimates(weights, kv_seq, 1, n // group, n, device_mem, reserve)
            return
        compute_prec, peak_fig = peak
        bandwidth = float(hw.bandwidth.value)
        eff_c, eff_att, eff_b = self.efficiency(compute_prec)
        attention_prec = compute_precision("bf16", hw.peak)
        link = hw.interconnect or hw.host_link
        link_bw = float(link.value) / 2.0 if link else math.inf  # bidirectional figure
        expert_bytes = model.expert_params * (memory.weight_bytes(1.0, 0.0, precision))
        attention_dim = model.heads * model.head_dim
        if model.mla:
            # Absorbed MLA decode attends in the latent space: QK over kv_lora_rank + rope
            # values and AV over kv_lora_rank values per head (DeepSeek-V2, arXiv:2405.04434,
            # §2.1.2): the equivalent per-head width is (2 · rank + rope) / 2.
            attention_dim = model.heads * (2 * model.mla["kv_lora_rank"]
                                           + model.mla["qk_rope_head_dim"]) // 2
        transformer = serving.Transformer(
            block_params_active=counts.blocks_active, lm_head_params=counts.lm_head or
            counts.embedding, layers=model.layers, attention_dim=attention_dim,
            hidden=model.hidden, dense_weight_bytes=weights - model.experts * expert_bytes,
            expert_weight_bytes=expert_bytes, experts=model.experts,
            experts_active=model.experts_active, kv_bytes_per_token=kv_token,
            window_fraction=model.window_fraction, window=window)

        def replica_of(group: int) -> serving.Replica:
            tp = min(group, node)
            return serving.Replica(
                peak_flops=float(peak_fig.value), bandwidth=bandwidth,
                eff_compute=eff_c, eff_bandwidth=eff_b, tp=tp, pp=max(1, group // tp),
                link_bandwidth=link_bw, allreduce_latency=calibration.ALLREDUCE_LATENCY_S,
                attention_flops=float(hw.peak[attention_prec].value) if attention_prec
                else 0.0, eff_attention=eff_att, layer_overhead=calibration.LAYER_OVERHEAD_S)

        traffic = w.traffic
        peak_rps = traffic.requests_per_s * traffic.peak_factor if traffic else None

        def concurrency_of(replica: serving.Replica, replicas: int, limit: int) -> int:
            """Sequences in flight: as given, else Little's law at peak, by iteration."""
            if traffic and traffic.concurrency:
                return traffic.concurrency
            if not peak_rps:
                return 1
            concurrency = 1
            for _ in range(60):
                pt = serving.serving_point(replica, transformer,
                                           max(1, math.ceil(concurrency / replicas)),
                                           prompt, output)
                nxt = max(1, math.ceil(peak_rps * (pt.prefill_s + output * pt.tpot_s)))
                # Beyond what memory holds, requests queue rather than batch: the
                # concurrency stops at four times the memory's capacity, so figures past
                # saturation do not depend on where an iteration happened to stop.
                cap = max(limit, 1) * replicas * 4
                if nxt >= cap:
                    return cap
                if nxt == concurrency:
                    return nxt
                concurrency = nxt
            return concurrency

        # Replica size: as given, else the group (dividing the count) with the most serving
        # capacity within the per-token budget — what an operator tunes for, and the same
        # whatever the traffic, so more traffic never changes the layout under it.
        budget = w.latency.tpot if w.latency and w.latency.tpot else None

        def capacity_of(group: int) -> float:
            limit = max_batch_of(group)
            if limit < 1:
                return 0.0
            replica = replica_of(group)

            def fits(b: int) -> bool:
                return budget is None or serving.serving_point(
                    replica, transformer, b, prompt, output).tpot_s <= budget

            best = serving.largest_batch(limit, fits)
            return (n // group) * serving.serving_point(
                replica, transformer, best, prompt, output).requests_per_s if best else 0.0

        group = candidates[0] if len(candidates) == 1 else \
            max(candidates, key=lambda g: (capacity_of(g), -g))
        replicas = n // group
        replica = replica_of(group)
        max_batch = max_batch_of(group)
        concurrency = concurrency_of(replica, replicas, max_batch)
        if not given and group > 1:
            self.out.assume("deployment.tensor_parallel", str(group),
                            "the group of accelerators per replica with the most capacity "
                            "within the per-token budget")
        if traffic and not traffic.concurrency and peak_rps:
            self.out.assume("workload.traffic.concurrency", str(concurrency),
                            "Little's law: peak requests/s × time in system")
        tp, pp = replica.tp, replica.pp
        free_kv = memory.usable_memory(device_mem, group, reserve) - weights
        self.out.facts.update(tensor_parallel=tp, pipeline_parallel=pp, replicas=replicas,
                              group=group, max_batch=max_batch,
                              max_context=memory.max_context(free_kv, kv_token,
                                                             model.window_fraction, window))
        if group > 1 and link is None:
            self.out.unknown["interconnect"] = f"{hw.name} has no sourced interconnect figure"
        hw_refs = (*_ref(hw.memory), *_ref(hw.bandwidth), *_ref(peak_fig))
        self.out.facts.update(compute_precision=compute_prec, replica=replica,
                              transformer=transformer, hw_refs=hw_refs)

        def point(batch: int) -> serving.ServingPoint:
            return serving.serving_point(replica, transformer, max(batch, 1), prompt, output)

        rtt = self.network()
        # Dedicated and fixed-pipeline serving run one request at a time per replica.
        unbatched = p.deployment.serving_mode in ("dedicated", "fixed-pipeline")
        # A replica batches at most what fits in its memory; the rest of the peak waits
        # (unless the profile states the concurrency it runs at).
        per_replica = math.ceil(concurrency / replicas)
        if not (traffic and traffic.concurrency):
            per_replica = min(per_replica, max(max_batch, 1))
        batch = 1 if unbatched else max(1, per_replica)
        self.out.facts.update(concurrency=concurrency, batch=batch, peak_rps=peak_rps)
        self.memory_estimates(weights, kv_seq, concurrency, replicas, n, device_mem, reserve)

        pt = point(batch)

        def busy_at(b: int) -> dict[str, float]:
            """Utilization, requests/s and tokens/s of the replicas running batch b."""
            flops, moved = serving.cycle_work(transformer, b, prompt, output)
            cycle = serving.prefill_time(replica, transformer, prompt, b) + \
                serving.decode_time(replica, transformer, b, prompt, output)
            compute_util, memory_util = power.utilization(
                flops, moved, cycle, replica.tp * replica.pp * replica.peak_flops,
                replica.tp * replica.pp * replica.bandwidth)
            at = point(b)
            return {"compute_util": compute_util, "memory_util": memory_util,
                    "requests_per_s": at.requests_per_s * replicas,
                    "tokens_per_s": at.tokens_per_s * replicas}

        self.out.facts["busy"] = busy_at(batch)
        self.out.add("prefill_ms", pt.prefill_s / MS, "ms",
                     "matmuls max(2 · active params · P / compute, weights / bandwidth) + "
                     "attention max(2 · layers · P² · heads·head_dim / compute, KV / "
                     "bandwidth) + per-layer overhead + all-reduces",
                     {"prompt tokens": str(prompt), "compute precision": compute_prec,
                      "tensor parallel": str(tp),
                      "achievable compute": _fmt(replica.compute_rate / 1e12, "TFLOP/s")},
                     hw_refs)
        queue = 0.0
        if peak_rps:
            # Prefills queue behind each other (M/D/1); a new request also waits for the
            # decode step in progress, half a step on average, when the replica is busy.
            busy = min(1.0, peak_rps / (pt.requests_per_s * replicas))
            queue = serving.md1_wait(peak_rps / replicas, pt.prefill_s) + \
                busy * pt.tpot_s / 2.0
        ttft = pt.prefill_s + queue + (rtt or 0.0)
        self.out.facts["queue_ms"] = queue / MS
        self.out.add("ttft_ms", ttft / MS, "ms",
                     "network RTT + queueing (M/D/1 on prefill + half a decode step when "
                     "busy) + prefill",
                     {"prefill": _fmt(pt.prefill_s / MS, "ms"),
                      "queueing": _fmt(queue / MS, "ms"),
                      "network": _fmt((rtt or 0.0) / MS, "ms") if rtt is not None
                      else "not modeled"}, hw_refs)
        self.out.add("tpot_ms", pt.tpot_s / MS, "ms",
                     "mean decode step at the batch, summed exactly over the growing KV "
                     "cache",
                     {"batch per replica": str(batch), "replicas": str(replicas),
                      "achievable bandwidth": _fmt(replica.memory_rate / 1e12, "TB/s")},
                     hw_refs)
        self.out.add("tokens_per_s", pt.tokens_per_s * replicas, "tokens/s",
                     "replicas × batch × output tokens / (prefill of the batch + decode)",
                     {"batch per replica": str(batch), "replicas": str(replicas)}, hw_refs)
        self.out.add("latency_e2e_ms", (ttft + (output - 1) * pt.tpot_s) / MS, "ms",
                     "TTFT + (output tokens − 1) × TPOT",
                     {"output tokens": str(output)}, hw_refs)
        if max_batch >= 1:
            top = point(max_batch)
            self.out.add("max_tokens_per_s", top.tokens_per_s * replicas, "tokens/s",
                         "throughput at the largest batch that fits in memory",
                         {"max batch per replica": str(max_batch)}, hw_refs)
            self.out.add("max_requests_per_s", top.requests_per_s * replicas, "requests/s",
                         "max_tokens_per_s / output tokens", {}, hw_refs)
            budget = w.latency.tpot if w.latency and w.latency.tpot else None
            if budget is not None:
                within = serving.largest_batch(1 if unbatched else max_batch,
                                               lambda b: point(b).tpot_s <= budget)
            else:
                within = 1 if unbatched else max_batch
            self.out.facts["capacity_batch"] = within
            self.out.facts["capacity_rps"] = point(within).requests_per_s * replicas \
                if within else 0.0
            # Power is drawn at the capacity operating point for the share of time the
            # traffic keeps the replicas busy: more traffic can then never draw less.
            self.out.facts["busy_capacity"] = busy_at(within or 1)

    # -- energy, facility and money ------------------------------------------------------
    def _default(self, field_path: str, key: str) -> Figure:
        fig = self.catalog.constant("facility", f"defaults.{key}")
        self.out.assume(field_path, fig.text, fig.reference())
        return fig

    def pue(self) -> float:
        if self.profile.deployment.placement == "device":
            return 1.0  # no facility around a handheld device
        site = self.profile.site
        if site and site.pue:
            return site.pue
        return float(self._default("site.pue", "pue").value)

    def place_figure(self, key: str, field_path: str) -> Figure | None:
        """A figure of the deployment's place: the region's, else the country's (stated)."""
        for section, name in (("regions", self.profile.deployment.region),
                              ("countries", self.resolved.country)):
            entry = self.catalog.get(section, name) if name else None
            fig = entry.get(key) if entry else None
            if isinstance(fig, Figure):
                self.out.assume(field_path, fig.text, fig.reference())
                return fig
        return None

    def carbon_intensity(self) -> tuple[float, str] | None:
        """Grid intensity [kg/J] and where it came from: profile, region, country."""
        energy = self.profile.energy
        if energy and energy.carbon_intensity is not None:
            return energy.carbon_intensity, "profile"
        fig = self.place_figure("carbon_intensity", "energy.carbon_intensity")
        return (float(fig.value), fig.reference()) if fig else None

    def host_power(self) -> float | None:
        """Power of everything but the accelerators, per accelerator, under load. [W]"""
        hw = self.hardware
        assert hw is not None and hw.tdp is not None
        if hw.hw_class == "edge":
            return 0.0  # a module's rated power covers its SoC, memory and I/O
        if hw.system_power is None or not hw.node_size:
            return None
        nameplate = float(hw.system_power.value) / hw.node_size - float(hw.tdp.value)
        load = float(self.catalog.constant("facility", "defaults.host_load").value)
        return max(0.0, nameplate) * load

    def energy(self) -> None:
        """Power at peak and average traffic, energy per token and request, annual energy,
        emissions and water, device runtime."""
        p, hw, busy = self.profile, self.hardware, self.out.facts.get("busy")
        if hw is None or busy is None:
            return
        if hw.tdp is None:
            self.out.unknown["power"] = f"{hw.name} has no sourced power rating"
            return
        n = p.deployment.accelerators
        tdp = float(hw.tdp.value)
        floor = tdp * calibration.POWER_IDLE_FRACTION
        def draw(point: dict[str, float]) -> float:
            return power.accelerator_power(tdp, point["compute_util"], point["memory_util"],
                                           calibration.POWER_IDLE_FRACTION,
                                           calibration.POWER_COMPUTE_WEIGHT,
                                           calibration.POWER_MEMORY_WEIGHT)

        busy_w = draw(busy)  # at the serving batch: energy per token and per request
        full = self.out.facts.get("busy_capacity", busy)
        full_w = draw(full)  # at the capacity batch: the power the site must supply
        traffic = p.workload.traffic
        capacity = full.get("requests_per_s")
        if capacity and traffic is not None:
            load_peak = min(1.0, traffic.requests_per_s * traffic.peak_factor / capacity)
            load_avg = min(1.0, traffic.requests_per_s / capacity)
        else:
            load_peak = load_avg = 1.0
            if capacity:
                self.out.assume("workload.traffic", "busy all the time",
                                "no traffic given: the accelerators are assumed fully loaded")
        host = self.host_power()
        self.out.facts["host_known"] = host is not None
        host_w = host or 0.0
        refs = (hw.tdp.reference(), *(_ref(hw.system_power)),
                f"power model calibrated: {calibration.POWER_REFERENCE}")
        acc_peak = n * power.scaled_to_load(full_w, floor, load_peak)
        acc_avg = n * power.scaled_to_load(full_w, floor, load_avg)
        it_peak, it_avg = acc_peak + n * host_w, acc_avg + n * host_w
        pue = self.pue()
        inputs = {"TDP": hw.tdp.text, "compute utilization": f"{full['compute_util']:.0%}",
                  "memory utilization": f"{full['memory_util']:.0%}",
                  "load at peak": f"{load_peak:.0%}", "accelerators": str(n)}
        self.out.add("accelerator_power_kw", acc_peak / 1e3, "kW",
                     "accelerators × (floor + (busy − floor) × load); busy = TDP × min(1, "
                     "idle + a·u_compute + b·u_memory)", inputs, refs)
        host_text = "unknown (no published system power)" if host is None else \
            f"{host_w:.0f} W per accelerator"
        self.out.add("it_power_kw", it_peak / 1e3, "kW", "accelerators + host overhead",
                     {"accelerators": _fmt(acc_peak / 1e3, "kW"),
                      "host": host_text if host is None else
                      f"{_fmt(n * host_w / 1e3, 'kW')} ({host_w:.0f} W per accelerator)"},
                     refs)
        self.out.add("facility_power_kw", it_peak * pue / 1e3, "kW", "IT power × PUE",
                     {"PUE": f"{pue:g}",
                      "cooling and power distribution": _fmt(it_peak * (pue - 1) / 1e3, "kW")},
                     refs)
        tokens = busy.get("tokens_per_s")
        if tokens:
            self.out.add("energy_per_token_j", (busy_w + host_w) * n / tokens, "J",
                         "(accelerators + host) power at the serving batch / tokens per s",
                         {}, refs)
            self.out.add("accelerator_energy_per_token_j", busy_w * n / tokens, "J",
                         "accelerator power at the serving batch / tokens per s", {}, refs)
        served = busy.get("requests_per_s")
        if served:
            self.out.add("energy_per_request_wh", (busy_w + host_w) * n / served / 3600.0,
                         "Wh", "(accelerators + host) power / requests per s", {}, refs)
        seconds = self.out.facts.get("training_s")
        if seconds is not None:
            energy_j = it_peak * pue * seconds
            formula = "facility power × training time (the run's energy)"
        else:
            energy_j = power.annual_energy(it_avg * pue)
            formula = "average IT power × PUE × 8,766 h"
        it_energy_j = energy_j / pue
        self.out.add("annual_energy_mwh", energy_j / 3.6e9, "MWh", formula,
                     {"average load": f"{load_avg:.0%}", "PUE": f"{pue:g}"}, refs)
        intensity = self.carbon_intensity()
        if intensity is not None:
            self.out.add("annual_co2_t", power.emissions(energy_j, intensity[0]) / 1e3, "t",
                         "annual energy × grid carbon intensity",
                         {"intensity": f"{intensity[0] * 3.6e9:.4g} g/kWh"}, (intensity[1],))
        else:
            self.out.unknown["carbon"] = "no carbon intensity for the deployment's grid"
        if p.deployment.placement != "device":
            site = p.site
            wue = site.wue if site and site.wue is not None else \
                float(self._default("site.wue", "wue").value)
            self.out.add("annual_water_m3", power.water(it_energy_j, wue), "m3",
                         "WUE × annual IT energy", {"WUE": f"{wue * 3.6e9:.3g} L/kWh"}, refs)
        site = p.site
        if site and site.battery:
            device_w = (acc_avg + n * host_w)
            runtime = power.battery_runtime(site.battery, device_w)
            self.out.add("device_runtime_h", runtime / 3600.0, "h",
                         "battery energy / device power at the average load",
                         {"battery": f"{site.battery / 3600:.4g} Wh",
                          "device power": f"{device_w:.3g} W"}, refs)
        self.out.facts.update(it_peak_w=it_peak, facility_peak_w=it_peak * pue,
                              it_avg_w=it_avg, energy_j=energy_j)

    def racks(self) -> None:
        """Rack power and rack count from the published system's nameplate power."""
        p, hw = self.profile, self.hardware
        if hw is None or hw.system_power is None or not hw.node_size:
            if hw is not None:
                self.out.unknown["racks"] = f"no published system power for {hw.name}"
            return
        n = p.deployment.accelerators
        system_w = float(hw.system_power.value)
        systems = math.ceil(n / hw.node_size)
        limit = self.rack_limit()
        self.out.facts["rack_limit"] = limit
        if hw.node_size >= 32 or limit is None:
            per_rack = 1  # rack-scale systems (GB200 NVL72) are a rack each
        else:
            per_rack = max(1, math.floor(limit[0] / system_w))
        rack_w = min(systems, per_rack) * system_w
        racks = math.ceil(systems / per_rack)
        refs = (hw.system_power.reference(),)
        self.out.add("rack_kw", rack_w / 1e3, "kW", "systems per rack × system nameplate power",
                     {"system": f"{hw.system_name} {hw.system_power.text}",
                      "systems per rack": str(min(systems, per_rack))}, refs)
        self.out.add("racks_needed", float(racks), "racks", "systems / systems per rack",
                     {"systems": str(systems)}, refs)

    def rack_limit(self) -> tuple[float, str] | None:
        """The tighter of the site's rack limit and its cooling technology's. [W]"""
        site = self.profile.site
        if site is None:
            return None
        limits: list[tuple[float, str]] = []
        if site.rack_power_limit:
            limits.append((site.rack_power_limit, "site rack limit"))
        if site.cooling:
            entry = self.catalog.get("cooling", site.cooling)
            fig = entry.get("rack_limit") if entry else None
            if isinstance(fig, Figure):
                limits.append((float(fig.value), f"{site.cooling} cooling, practical "
                                                  f"{fig.text} (as of {fig.as_of})"))
        return min(limits) if limits else None

    def cost(self) -> None:
        """Monthly cost: hardware amortization or rental, plus energy, in one currency."""
        p, hw = self.profile, self.hardware
        budget = p.budget
        if budget is None or budget.monthly is None or hw is None:
            return
        currency = budget.monthly.currency
        n = p.deployment.accelerators
        hours = 8766.0 / 12.0
        parts: dict[str, str] = {}
        if budget.rental is not None:
            if budget.rental.currency != currency:
                self.out.unknown["cost"] = (f"rental in {budget.rental.currency}, budget in "
                                            f"{currency}: money is never converted")
                return
            hardware = budget.rental.amount_per_unit * 3600.0 * hours * n
            parts["rental"] = f"{hardware:,.0f} {currency}"
        elif p.deployment.placement == "cloud":
            self.out.unknown["cost"] = "cloud placement: give budget.rental per accelerator-hour"
            return
        else:
            price = budget.hardware_price
            if price is None and hw.price is not None:
                price = hw.price.value
                self.out.assume("budget.hardware_price", hw.price.text, hw.price.reference())
            if price is None:
                self.out.unknown["cost"] = f"no price for {hw.name}: set budget.hardware_price"
                return
            if price.currency != currency:
                self.out.unknown["cost"] = (f"hardware priced in {price.currency}, budget in "
                                            f"{currency}: money is never converted")
                return
            months = (budget.amortization or 36 * 8766 * 3600 / 12) / (8766 * 3600 / 12)
            if budget.amortization is None:
                self.out.assume("budget.amortization", "36 months",
                                "common 3-year server depreciation schedule")
            hardware = price.amount * n / months
            parts["hardware"] = f"{hardware:,.0f} {currency}/month over {months:.0f} months"
        energy_cost = 0.0
        energy_j = self.out.facts.get("energy_j")
        if energy_j is not None and budget.rental is None:
            rate = self.energy_price()
            if rate is None or rate.currency != currency:
                why = "no electricity price" if rate is None else \
                    f"electricity priced in {rate.currency}, budget in {currency}"
                self.out.unknown["cost"] = f"{why}: money is never converted"
                return
            energy_cost = energy_j / 12.0 * rate.amount_per_unit
            parts["energy"] = f"{energy_cost:,.0f} {currency}/month"
        self.out.add("monthly_cost", hardware + energy_cost, currency,
                     "hardware amortization or rental + energy", parts,
                     _ref(hw.price) if budget.hardware_price is None else ())

    def energy_price(self) -> Any:
        energy = self.profile.energy
        if energy and energy.price is not None:
            return energy.price
        fig = self.place_figure("electricity_price", "energy.price")
        return fig.value if fig else None

    def reserve(self) -> float:
        """Runtime memory reserve: as given, else vLLM's default headroom (stated)."""
        reserve = self.profile.deployment.memory_reserve
        if reserve is None:
            reserve = memory.DEFAULT_MEMORY_RESERVE
            self.out.assume("deployment.memory_reserve", f"{reserve:g}",
                            "vLLM default gpu_memory_utilization 0.9")
        return reserve

    def memory_estimates(self, weights: float, kv_seq: float, sequences: int, replicas: int,
                         n: int, device_mem: float, reserve: float) -> None:
        hw = self.hardware
        assert hw is not None and hw.memory is not None
        kv = kv_seq * sequences
        reserved = device_mem * n * reserve
        self.out.add("kv_cache_gb", kv / GB, "GB",
                     "2 × layers × KV heads × head dim × bytes × tokens × sequences",
                     {"sequences": str(sequences),
                      "tokens per sequence": str((self.profile.workload.prompt_tokens or 0)
                                                 + (self.profile.workload.output_tokens or 0)),
                      "KV bytes per token": _fmt(self.out.facts["kv_bytes_per_token"] / 1024,
                                                 "KiB")}, self.model.references)
        self.out.add("memory_required_gb", (weights * replicas + kv + reserved) / GB, "GB",
                     "replicas × weights + KV cache + runtime reserve",
                     {"replicas": str(replicas), "reserve": f"{reserve:.0%} of memory"},
                     self.model.references)
        self.out.add("memory_available_gb", device_mem * n / GB, "GB",
                     "accelerators × memory per accelerator",
                     {"accelerators": str(n), "memory": _fmt(device_mem / GB, "GB")},
                     _ref(hw.memory))
        self.out.facts.update(weights_per_replica=weights, reserve=reserve)

    # -- other kinds ---------------------------------------------------------------------
    def vision(self) -> None:
        p, model, hw = self.profile, self.model, self.hardware
        flops = model.flops_per_request
        if flops is None:
            self.out.unknown["flops"] = f"model {model.name!r} has no sourced FLOPs per request"
            return
        precision = p.workload.precision
        weights = memory.weight_bytes(model.params, 0.0, precision)
        self.out.add("weights_gb", weights / GB, "GB", "parameters × bytes per weight",
                     {"parameters": f"{model.params / 1e6:.4g} M", "precision": precision},
                     model.references)
        rtt = self.network()
        if hw is None:
            return
        n = p.deployment.accelerators
        if hw.memory is not None:
            reserve = self.reserve()
            self.out.add("memory_required_gb", (weights * n + hw.memory.value * n * reserve)
                         / GB, "GB", "accelerators × weights + runtime reserve", {},
                         model.references)
            self.out.add("memory_available_gb", hw.memory.value * n / GB, "GB",
                         "accelerators × memory per accelerator", {}, _ref(hw.memory))
        peak = self.peak(precision)
        if peak is None:
            return
        eff_c, _, eff_b = self.efficiency(peak[0], vision=True)
        compute_rate = float(peak[1].value) * eff_c
        if hw.bandwidth is not None:
            memory_rate = float(hw.bandwidth.value) * eff_b
        elif hw.memory is None:  # weights held on chip (e.g. Hailo-8): no DRAM traffic
            memory_rate = math.inf
        else:
            self.out.unknown["bandwidth"] = f"{hw.name} has no sourced memory bandwidth"
            return
        traffic = p.workload.traffic
        batch = traffic.concurrency if traffic and traffic.concurrency else 1
        per_batch = inference.request_time(float(flops.value), weights, batch, compute_rate,
                                           memory_rate, calibration.INFERENCE_OVERHEAD_S)
        refs = (*_ref(peak[1]), flops.reference())
        self.out.facts.update(batch=batch, compute_precision=peak[0], hw_refs=refs)
        self.out.facts["busy"] = {
            "compute_util": batch * float(flops.value) / (per_batch * float(peak[1].value)),
            "memory_util": weights / (per_batch * float(hw.bandwidth.value))
            if hw.bandwidth is not None else 0.0,
            "requests_per_s": n * batch / per_batch}
        self.out.add("inference_ms", per_batch / MS, "ms",
                     "fixed cost per call + max(batch × FLOPs per request / compute, "
                     "weights / bandwidth)",
                     {"FLOPs per request": flops.text, "batch": str(batch),
                      "compute precision": peak[0]}, refs)
        self.out.add("latency_e2e_ms", (per_batch + (rtt or 0.0)) / MS, "ms",
                     "network RTT + inference time", {}, refs)
        self.out.add("max_requests_per_s", n * batch / per_batch, "requests/s",
                     "accelerators × batch / time per batch", {"batch": str(batch)}, refs)
        self.out.facts["capacity_rps"] = n * batch / per_batch
        if traffic:
            self.out.facts["peak_rps"] = traffic.requests_per_s * traffic.peak_factor

    def train(self) -> None:
        p, model, hw = self.profile, self.model, self.hardware
        w = p.workload
        if hw is None:
            return
        n = p.deployment.accelerators
        state = memory.training_state_bytes(model.params)
        if hw.memory is not None:
            reserve = self.reserve()
            self.out.add("memory_required_gb", (state + hw.memory.value * n * reserve) / GB,
                         "GB", "16 B per parameter (mixed-precision Adam, fully sharded) + "
                         "runtime reserve", {"parameters": f"{model.params / 1e9:.4g} B"},
                         ("Rajbhandari et al. 2020, ZeRO, arXiv:1910.02054",))
            self.out.add("memory_available_gb", hw.memory.value * n / GB, "GB",
                         "accelerators × memory per accelerator", {}, _ref(hw.memory))
        if w.train_tokens is None:
            self.out.unknown["train_tokens"] = "workload.train_tokens is not given"
            return
        peak = self.peak(w.precision)
        if peak is None:
            return
        eff = w.efficiency.training if w.efficiency and w.efficiency.training else None
        if eff is None:
            eff = calibration.TRAINING_MFU
            self.out.assume("workload.efficiency.training", f"{eff:g}",
                            "Llama 3 405B: 38-43 % MFU (arXiv:2407.21783, Table 4)")
        flops = training.training_flops(model.active_params, w.train_tokens)
        seconds = training.training_time(flops, n, float(peak[1].value), eff)
        self.out.facts["busy"] = {"compute_util": eff, "memory_util": 0.0}
        self.out.facts["training_s"] = seconds
        self.out.add("training_flops", flops, "FLOP", "6 × active parameters × tokens",
                     {"parameters": f"{model.active_params / 1e9:.4g} B",
                      "tokens": f"{w.train_tokens:.4g}"},
                     ("Kaplan et al. 2020, arXiv:2001.08361 §2.1",))
        self.out.add("training_days", seconds / DAY, "days",
                     "training FLOPs / (accelerators × peak × utilization)",
                     {"accelerators": str(n), "peak": f"{peak[1].text} ({peak[0]})",
                      "utilization": f"{eff:g}"}, (*_ref(peak[1]),))


def build(profile: Profile, resolved: Resolved, catalog: Catalog) -> Estimates:
    """Compute every estimate that applies to the profile."""
    builder = _Builder(profile, resolved, catalog)
    kind = profile.workload.kind
    if kind == "llm-inference":
        if resolved.model.is_llm:
            builder.llm()
        else:
            builder.out.unknown["model"] = (f"{resolved.model.name} is a {resolved.model.kind} "
                                            "model; use kind: inference")
    elif kind == "inference":
        builder.vision()
    else:
        builder.train()
    builder.energy()
    builder.racks()
    builder.cost()
    if resolved.hardware is None:
        builder.out.unknown["hardware"] = (
            "deployment.hardware is not given" if not profile.deployment.hosted_api else
            "the model runs behind a hosted API; its hardware is the provider's")
    return builder.out
