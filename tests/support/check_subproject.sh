#!/usr/bin/env bash
# healthctl as a subproject (add_subdirectory) of someone else's project: its
# tests are not built, the parent's build type is not forced, and
# BUILD_TESTING=OFF at the top level turns our tests off too.
# Usage: check_subproject.sh SOURCE_ROOT CMAKE
set -euo pipefail
source_root=$1 cmake=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/healthctl-subproject.XXXXXX")
trap 'rm -rf "$work"' EXIT
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

mkdir "$work/parent"
cat >"$work/parent/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.22)
project(parent CXX)
add_subdirectory("$source_root" healthctl)
CMAKE
"$cmake" -S "$work/parent" -B "$work/sub" "${generator[@]}" -DHEALTH_CCACHE=OFF >"$work/sub.log"
cache=$work/sub/CMakeCache.txt
grep -q '^HEALTH_BUILD_TESTS:BOOL=OFF$' "$cache" || { echo "tests are on by default in a subproject"; exit 1; }
grep -q '^CMAKE_BUILD_TYPE:STRING=$' "$cache" || { echo "the parent's build type was forced"; exit 1; }
grep -q 'tests OFF' "$work/sub.log" || { echo "the summary does not say tests OFF"; cat "$work/sub.log"; exit 1; }

# At the top level, tests are on unless BUILD_TESTING is off.
"$cmake" -S "$source_root" -B "$work/top" "${generator[@]}" -DHEALTH_CCACHE=OFF -DBUILD_TESTING=OFF >"$work/top.log"
grep -q 'tests OFF' "$work/top.log" || { echo "BUILD_TESTING=OFF did not turn the tests off"; exit 1; }
echo "as a subproject: no tests, no forced build type; BUILD_TESTING=OFF honoured"
