#!/bin/sh
# tap-lab.sh create|delete [NS]: the same lab as `tapir tap lab`, with iproute2.
# NS (default tapir) holds bridge tapirbr0 with 192.168.122.1/24 and persistent taps tap0, tap1 on it, all up,
# IPv6 off on those links, and bridge netfilter off inside NS only. Needs root.
set -eu
action=${1:-}
ns=${2:-tapir}
case "$action" in
create)
    ip netns add "$ns"
    trap 'ip netns del "$ns"' EXIT
    ip -n "$ns" link add tapirbr0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
    for tap in tap0 tap1; do
        ip -n "$ns" tuntap add dev "$tap" mode tap
        ip netns exec "$ns" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$tap/disable_ipv6" 2>/dev/null || true
        ip -n "$ns" link set "$tap" master tapirbr0
        ip -n "$ns" link set "$tap" up
    done
    ip netns exec "$ns" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/tapirbr0/disable_ipv6' 2>/dev/null || true
    ip -n "$ns" addr add 192.168.122.1/24 brd + dev tapirbr0
    ip -n "$ns" link set tapirbr0 up
    for knob in iptables ip6tables arptables; do
        f=/proc/sys/net/bridge/bridge-nf-call-$knob
        ip netns exec "$ns" sh -c "[ ! -e $f ] || echo 0 > $f"
    done
    trap - EXIT
    echo "tapir server --netns $ns --tap tap0 --ip 192.168.122.10/24"
    echo "tapir client 192.168.122.10 --netns $ns --tap tap1 --ip 192.168.122.20/24"
    ;;
delete)
    for link in tap0 tap1 tapirbr0; do
        ip -n "$ns" link del "$link" 2>/dev/null || true
    done
    ip netns del "$ns"
    ;;
*)
    echo "usage: $0 create|delete [NAMESPACE]" >&2
    exit 2
    ;;
esac
