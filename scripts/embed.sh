#!/bin/sh
# embed.sh FILE NAME: C source defining NAME[] (FILE's bytes, then a NUL)
# and NAME_len (without it), for a file served as it is (api/openapi.json).
set -eu
echo "/* generated from $1 by scripts/embed.sh: do not edit */"
echo '#include <stddef.h>'
echo "extern const unsigned char $2[];"
echo "extern const size_t $2_len;"
echo "const unsigned char $2[] = {"
od -An -v -tx1 "$1" | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo '0x00 };'
echo "const size_t $2_len = sizeof($2) - 1;"
