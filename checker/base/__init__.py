"""What every stage shares and that imports no stage: errors, field types, the outcome values, bounded YAML
reading, the packaged-folder lookup, text patterns."""
