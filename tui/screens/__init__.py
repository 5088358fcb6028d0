"""The app's screens: project, review, help, and the modal dialogs."""
