"""A mistake students make in ``relu``."""
from autograder.mutants import Mutant

MUTANTS = [Mutant("identity", "relu", old="np.maximum(x, 0)", new="x.copy()", why="the input returned as it came")]
ALTERNATIVES = []
