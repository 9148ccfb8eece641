"""Numbers that come to people: the e-mailed digest, the governance pack (PDF) and alerts.

mail.py sends through the SMTP server named in the environment; images.py draws the charts of
clinic/charts.py as PNG; recipients.py chooses who may receive which part by role; digest.py,
pack.py and alerts.py build what is sent; commands.py holds the command-line handlers. Nothing
here imports Streamlit: the CLI, the dashboard and a scheduler call the same functions.
"""
