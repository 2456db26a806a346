"""Side tools that measure the rules against cases: `mtus regress`, `mtus rules coverage`, `mtus scope`, reason agreement, progress lines."""
