"""A score together with the direction that makes it better."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A metric value and whether higher is better, so reports can rank results."""

    value: float
    higher_is_better: bool = True

    def __float__(self) -> float:
        return float(self.value)

    def is_better_than(self, other: Metric | float) -> bool:
        other_value = float(other)
        return self.value > other_value if self.higher_is_better else self.value < other_value

    def to_dict(self) -> dict:
        return {"value": float(self.value), "higher_is_better": self.higher_is_better}

    @classmethod
    def from_dict(cls, data: dict) -> Metric:
        return cls(float(data["value"]), bool(data["higher_is_better"]))

    def __format__(self, spec: str) -> str:
        return format(self.value, spec or ".4g")
