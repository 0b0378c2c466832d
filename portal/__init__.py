"""The shared core of the portal: engine, directory, doors and the contribution points the apps
fill in. It imports no app."""
