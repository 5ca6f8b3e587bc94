"""What every estimator shares: the estimate records, the context they read, and the
defaults they state (efficiency, peak, memory reserve, facility defaults, place figures)."""

from __future__ import annotations

from typing import Any, NamedTuple

from aiceiling.catalog import Catalog, Figure
from aiceiling.physics import calibration, memory
from aiceiling.profile.model import Profile
from aiceiling.resolve import HardwareSpec, ModelSpec, Resolved

GB = 1e9
MS = 1e-3
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
        assumption = Assumption(field_path, value, source)
        if assumption not in self.assumptions:  # several estimators read the same default
            self.assumptions.append(assumption)


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


def fmt(value: float, unit: str) -> str:
    """A figure with 4 significant digits, never in exponent notation below 10^15."""
    if 1e4 <= abs(value) < 1e15:
        return f"{value:,.0f} {unit}"
    return f"{value:.4g} {unit}"


def ref(fig: Figure | None) -> tuple[str, ...]:
    return (fig.reference(),) if fig is not None else ()



class Ctx:
    """What an estimator reads (the profile, its resolved model and hardware, the catalog)
    and writes (the estimates); with the defaults several domains share."""

    def __init__(self, profile: Profile, resolved: Resolved, catalog: Catalog) -> None:
        self.profile = profile
        self.model: ModelSpec = resolved.model
        self.hardware: HardwareSpec | None = resolved.hardware
        self.catalog = catalog
        self.resolved = resolved
        self.out = Estimates()

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

    def reserve(self) -> float:
        """Runtime memory reserve: as given, else vLLM's default headroom (stated)."""
        reserve = self.profile.deployment.memory_reserve
        if reserve is None:
            reserve = memory.DEFAULT_MEMORY_RESERVE
            self.out.assume("deployment.memory_reserve", f"{reserve:g}",
                            "vLLM default gpu_memory_utilization 0.9")
        return reserve


    def default(self, field_path: str, key: str) -> Figure:
        fig = self.catalog.constant("facility", f"defaults.{key}")
        self.out.assume(field_path, fig.text, fig.reference())
        return fig


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


    def provider_figure(self, key: str, field_path: str) -> Figure | None:
        """A cloud provider's published fleet figure (``pue``, ``wue``) for a cloud placement
        in one of its regions (stated as a default)."""
        region = self.resolved.region
        if self.profile.deployment.placement != "cloud" or not region:
            return None
        provider = self.catalog.get("providers", str(region.get("provider", "")))
        fig = provider.get(key) if provider else None
        if not isinstance(fig, Figure):
            return None
        self.out.assume(field_path, fig.text, f"{provider.get('name')} fleet: "  # type: ignore[union-attr]
                        f"{fig.reference()}")
        return fig

    def pue(self) -> float:
        """PUE: the profile's, else the cloud provider's published fleet figure, else the
        industry average (each stated)."""
        if self.profile.deployment.placement == "device":
            return 1.0  # no facility around a handheld device
        site = self.profile.site
        if site and site.pue:
            return site.pue
        fig = self.provider_figure("pue", "site.pue") or self.default("site.pue", "pue")
        return float(fig.value)

    def wue(self) -> float:
        """WUE [m3/J]: the profile's, else the cloud provider's, else the US average."""
        site = self.profile.site
        if site and site.wue is not None:
            return site.wue
        fig = self.provider_figure("wue", "site.wue") or self.default("site.wue", "wue")
        return float(fig.value)

