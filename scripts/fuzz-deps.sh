#!/usr/bin/env bash
# Make sure clang can build libFuzzer harnesses (make fuzz, fuzz-regress).
# As root it installs clang and its runtime libraries with apt-get; as a
# user it names the Debian packages to install and fails.
set -euo pipefail

CC=${FUZZ_CC:-clang}

# Can $CC compile and link a harness with libFuzzer, ASan and UBSan?
fuzz_deps_ok() {
    local dir rc=0
    command -v "$CC" >/dev/null 2>&1 || return 1
    dir=$(mktemp -d)
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ (void) d; (void) n; return 0; }' >"$dir/probe.c"
    "$CC" -fsanitize=fuzzer,address,undefined -o "$dir/probe" "$dir/probe.c" \
        >/dev/null 2>&1 || rc=1
    rm -rf "$dir"
    return $rc
}

# The LLVM major version of $CC, or of the one Debian's clang would bring.
fuzz_deps_llvm_major() {
    if command -v "$CC" >/dev/null 2>&1; then
        "$CC" -dumpversion | cut -d. -f1
    else
        apt-cache depends clang 2>/dev/null \
            | sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1
    fi
}

# libFuzzer ships in libclang-rt-N-dev from LLVM 14 (Debian 12) on, in
# libclang-common-N-dev before that.
fuzz_deps_packages() {
    local major
    major=$(fuzz_deps_llvm_major)
    command -v "$CC" >/dev/null 2>&1 || echo clang
    [ -n "$major" ] || return 0
    if apt-cache show "libclang-rt-$major-dev" >/dev/null 2>&1; then
        echo "libclang-rt-$major-dev"
    else
        echo "libclang-common-$major-dev"
    fi
}

fuzz_deps_ok && exit 0

if [ "$(id -u)" -ne 0 ]; then
    mapfile -t missing < <(fuzz_deps_packages)
    echo "fuzz-deps: $CC cannot build libFuzzer harnesses" >&2
    echo "fuzz-deps: install: sudo apt-get install ${missing[*]:-clang}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# clang first: its version names the runtime package.
command -v "$CC" >/dev/null 2>&1 \
    || apt-get install -y -qq --no-install-recommends clang >/dev/null
mapfile -t missing < <(fuzz_deps_packages)
echo "fuzz-deps: installing ${missing[*]}" >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if ! fuzz_deps_ok; then
    echo "fuzz-deps: $CC still cannot build a libFuzzer harness" >&2
    exit 1
fi
