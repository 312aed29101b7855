"""What a native x86-64 Linux configure with GCC defines before the project's first line.

Defaults in the specialization points are "as on native x86-64 Linux" (docs/architecture.md), so the
evaluation starts from the variables CMake itself would set there (system, processor, GNU
compiler IDs and versions, pointer size, ...) and the cache entries it creates. The values are
fixed (GCC 12.2, CMake 3.31) rather than read from the machine discovery runs on, so that the
output is the same everywhere.
"""

from __future__ import annotations

#: What a native configure on x86-64 Linux with GCC would define before the first line runs.
PREDEFINED: dict[str, str] = {
    "CMAKE_SYSTEM_NAME": "Linux", "CMAKE_HOST_SYSTEM_NAME": "Linux",
    "CMAKE_SYSTEM": "Linux-6.1.0", "CMAKE_SYSTEM_VERSION": "6.1.0",
    "CMAKE_HOST_SYSTEM_VERSION": "6.1.0",
    "CMAKE_SYSTEM_PROCESSOR": "x86_64", "CMAKE_HOST_SYSTEM_PROCESSOR": "x86_64",
    "UNIX": "1", "CMAKE_HOST_UNIX": "1", "LINUX": "1", "CMAKE_HOST_LINUX": "1",
    "CMAKE_C_COMPILER_ID": "GNU", "CMAKE_CXX_COMPILER_ID": "GNU",
    "CMAKE_C_COMPILER_VERSION": "12.2.0", "CMAKE_CXX_COMPILER_VERSION": "12.2.0",
    "CMAKE_COMPILER_IS_GNUCC": "1", "CMAKE_COMPILER_IS_GNUCXX": "1",
    "CMAKE_C_COMPILER": "/usr/bin/cc", "CMAKE_CXX_COMPILER": "/usr/bin/c++",
    "CMAKE_C_COMPILER_LOADED": "1", "CMAKE_CXX_COMPILER_LOADED": "1",
    "CMAKE_C_COMPILER_ARCHITECTURE_ID": "", "CMAKE_CXX_COMPILER_ARCHITECTURE_ID": "",
    "CMAKE_SIZEOF_VOID_P": "8", "CMAKE_C_SIZEOF_DATA_PTR": "8", "CMAKE_CXX_SIZEOF_DATA_PTR": "8",
    "CMAKE_VERSION": "3.31.6", "CMAKE_MAJOR_VERSION": "3", "CMAKE_MINOR_VERSION": "31",
    "CMAKE_PATCH_VERSION": "6", "CMAKE_GENERATOR": "Unix Makefiles",
    "CMAKE_MAKE_PROGRAM": "/usr/bin/make", "CMAKE_COMMAND": "/usr/bin/cmake",
    "CMAKE_ROOT": "/usr/share/cmake-3.31", "CMAKE_CROSSCOMPILING": "FALSE",
    "CMAKE_EXECUTABLE_SUFFIX": "", "CMAKE_SHARED_LIBRARY_PREFIX": "lib",
    "CMAKE_SHARED_LIBRARY_SUFFIX": ".so", "CMAKE_STATIC_LIBRARY_PREFIX": "lib",
    "CMAKE_STATIC_LIBRARY_SUFFIX": ".a", "CMAKE_FIND_LIBRARY_SUFFIXES": ".so;.a",
    "CMAKE_LIBRARY_ARCHITECTURE": "x86_64-linux-gnu", "CMAKE_DL_LIBS": "dl",
    "CMAKE_CXX_STANDARD_COMPUTED_DEFAULT": "17", "CMAKE_C_STANDARD_COMPUTED_DEFAULT": "17",
    "CMAKE_CXX_COMPILER_FRONTEND_VARIANT": "GNU", "CMAKE_C_COMPILER_FRONTEND_VARIANT": "GNU",
    "CMAKE_HOST_SYSTEM": "Linux-6.1.0", "CMAKE_FILES_DIRECTORY": "/CMakeFiles",
}

#: Cache entries CMake itself creates before the project's code runs.
PREDEFINED_CACHE: dict[str, tuple[str, str]] = {
    "CMAKE_BUILD_TYPE": ("", "STRING"), "CMAKE_INSTALL_PREFIX": ("/usr/local", "PATH"),
    "CMAKE_C_FLAGS": ("", "STRING"), "CMAKE_CXX_FLAGS": ("", "STRING"),
    "BUILD_TESTING": ("ON", "BOOL"),
}
