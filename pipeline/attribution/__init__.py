"""Attribution helpers shared by :mod:`pipeline.attribute`: names of entities found in the text
(:mod:`.names`), the as-of year of a figure (:mod:`.years`) and measure phrases (:mod:`.measures`).

Each module is pure: rules in, text or parse in, plain values out. Nothing is cached at module level;
the objects built from the rules (:class:`.names.NameFinder`) are owned by whoever loaded the rules.
"""
