"""Static analysis of CMake projects: lexer, evaluator and the facts it collects."""
