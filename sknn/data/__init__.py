"""Data conversion: turning what users pass as X and y into arrays the engine can batch."""
