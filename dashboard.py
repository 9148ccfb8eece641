"""Entry point: `streamlit run dashboard.py` serves the clinic dashboard."""

import streamlit as st

st.set_page_config(page_title="Vein clinic analytics", page_icon="🩺", layout="wide")
st.title("Vein clinic analytics")
st.write("The dashboard pages are being built; the store and importer are available from the CLI.")
