"""What the establishment API's modules share."""

PROPOSAL_READERS = ("applicant", "unit_admin", "recommender", "agency", "ministry", "admin")
PROJECT_READERS = ("applicant", "unit_admin", "agency", "ministry", "admin")
