"""Play scores from a trained model, the explain picture, charts, and the score's validity against a
generated season's truth. May import the other libraries and ``ml``, never ``synthetic``."""
