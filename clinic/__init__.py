"""Analytics for a micro-sclerotherapy clinic: store, import, metrics (no Streamlit here)."""
