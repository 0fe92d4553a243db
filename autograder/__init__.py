"""The hidden autograder of the deep-learning course kit."""
