"""Classification rules: evaluated CMake facts -> specialization-point entries."""
