package dev.tapir.cli;

/** Entry point of the {@code tapir} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.out.println("tapir");
    }
}
