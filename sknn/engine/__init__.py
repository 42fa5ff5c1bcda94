"""The training engine: knows torch and skorch, not scikit-learn's estimator API."""
