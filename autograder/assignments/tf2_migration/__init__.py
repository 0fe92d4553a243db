"""Hidden tests of the tf2_migration assignment."""
