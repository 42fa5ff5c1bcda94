"""The scikit-learn-facing estimators."""
