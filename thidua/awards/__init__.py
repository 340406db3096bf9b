"""From the final standings to the reward decision: the lifecycle's steps, frozen snapshots of the standings, the
council's rulings on ties, appeals, nominations with their evidence, the money and the register of issued
documents (docs/documents.md)."""
