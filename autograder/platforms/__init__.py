"""Where grades go beyond the kit's own folders: Gradescope, GitHub (job summaries) and
nbgrader's gradebook. Each platform turns a graded folder, or one results.json, into
what that platform expects; none of them grades anything itself."""
