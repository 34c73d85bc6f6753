"""One module per screen of the main window (plus the wizard and the unlock screen)."""
