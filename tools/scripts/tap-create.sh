#!/bin/sh
# tap-create.sh NAME [--bridge BR] [--address CIDR] [--mtu N] [--owner USER] [--netns NS]
# A persistent tap, like `tapir tap create NAME --persist ...`, with iproute2. The address goes on the bridge when
# there is one, else on the tap; a missing bridge is created. Needs root.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 NAME [--bridge BR] [--address CIDR] [--mtu N] [--owner USER] [--netns NS]" >&2; exit 2; }
name=$1; shift
bridge= address= mtu= owner= ns=
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
    case "$1" in
    --bridge) bridge=$2 ;;
    --address) address=$2 ;;
    --mtu) mtu=$2 ;;
    --owner) owner=$2 ;;
    --netns) ns=$2 ;;
    *) echo "$0: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
ipn() { if [ -n "$ns" ]; then ip -n "$ns" "$@"; else ip "$@"; fi; }
ipn tuntap add dev "$name" mode tap ${owner:+user "$owner"}
[ -z "$mtu" ] || ipn link set "$name" mtu "$mtu"
target=$name
if [ -n "$bridge" ]; then
    if ! ipn link show "$bridge" >/dev/null 2>&1; then
        ipn link add "$bridge" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
        [ -z "$mtu" ] || ipn link set "$bridge" mtu "$mtu"
        ipn link set "$bridge" up
    fi
    ipn link set "$name" master "$bridge"
    target=$bridge
fi
[ -z "$address" ] || ipn addr add "$address" brd + dev "$target"
ipn link set "$name" up
