"""RewardsHub: a patient rewards hub for orthodontic and dental practices."""
