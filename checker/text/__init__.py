"""Reading clinical text for `mtus extract` (checker/extract/): ConText modifiers, the extraction cue files, dates written in prose."""
