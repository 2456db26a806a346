"""Stage 3, evaluate: topic and edition per item, and each criterion's status from the durable_rules engine or the reference evaluator."""
