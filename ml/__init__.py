"""Pure PyTorch and NumPy: the spliced binned-Pareto distribution, the TCN, training, artifacts,
evaluation and baselines. Imports nothing from ``qb_assets``."""
