"""Server-rendered pages for reps, managers and admins."""
