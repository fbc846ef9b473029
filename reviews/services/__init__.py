"""Every change of the review engine, one module per part: ``library`` (experts and their
import), ``assignment`` (groups, recusal, rotation, declarations, swaps), ``scoring`` (rounds,
scores, results, shortlists)."""
