"""The rlvr command line: one thin module per subcommand."""
