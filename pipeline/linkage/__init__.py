"""Record linkage for the consolidate stage: which mentions state the same fact.

Blocks are (entity, unit class): only mentions of one block are ever compared, so the work grows with
the block sizes, not with the square of the corpus. Inside a block, measure phrases are compared by the
overlap of their content words (:mod:`.measures`); a *confident* match (near-identical measures, neither
generic) may support a conflict, a looser one only a duplicate of compatible values.
"""
