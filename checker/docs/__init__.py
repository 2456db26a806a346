"""Side tool `mtus rules docs` / `mtus rules list`: the rule set as a readable reference."""
