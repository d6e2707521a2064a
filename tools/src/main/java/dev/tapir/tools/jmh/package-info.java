/**
 * JMH benchmarks of the userspace stack's per-frame costs: the Internet checksum, header parse and emit (Ethernet,
 * IPv4, TCP), and a frame through the memory link. They are not run by {@code mvn verify}; run them from the built
 * jar with {@code tools/scripts/jmh.sh} (which passes any JMH options on, e.g. {@code ChecksumBenchmark -f 1}).
 */
package dev.tapir.tools.jmh;
