package dev.tapir.engine.test;

/** The transport protocol a test measures. */
public enum Protocol {
    TCP,
    UDP
}
