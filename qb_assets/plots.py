"""Pictures for the UI and the CLI (matplotlib, headless)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def png_bytes(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """A PNG inlined as Markdown, which the Dagster UI renders in asset metadata."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def pit_histograms(models: dict[str, dict]) -> bytes:
    """One PIT histogram per probabilistic model: flat at 1/bins means calibrated."""
    names = [name for name, metrics in models.items() if metrics.get("pit_histogram")]
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), sharey=True, squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        shares = models[name]["pit_histogram"]
        axis.bar(
            [(i + 0.5) / len(shares) for i in range(len(shares))],
            shares,
            width=1 / len(shares),
            edgecolor="white",
        )
        axis.axhline(1 / len(shares), color="black", linewidth=1, linestyle="--")
        axis.set_title(f"{name}: KS {models[name]['pit_ks']:.3f}")
        axis.set_xlabel("PIT")
    axes[0][0].set_ylabel("share of test plays")
    return png_bytes(figure)
