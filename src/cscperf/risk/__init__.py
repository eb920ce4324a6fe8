"""The risk register: risks, scores, owners and the indicators they are linked to."""
