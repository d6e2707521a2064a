#!/bin/sh
# tap-delete.sh NAME [--netns NS]: deletes a (persistent) tap or any link, like `tapir tap delete`.
set -eu
[ $# -eq 1 ] || [ $# -eq 3 ] || { echo "usage: $0 NAME [--netns NS]" >&2; exit 2; }
if [ $# -eq 3 ]; then
    [ "$2" = --netns ] || { echo "$0: unknown option $2" >&2; exit 2; }
    ip -n "$3" link del "$1"
else
    ip link del "$1"
fi
