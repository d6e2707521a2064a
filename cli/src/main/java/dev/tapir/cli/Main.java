package dev.tapir.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tapir} command. */
@Command(name = "tapir", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Network throughput tool: kernel sockets through FFM, or tapir's own TCP/IP stack.",
        subcommands = {ServerCommand.class, ClientCommand.class, QuickstartCommand.class,
            MemlinkCommand.class, TapCommand.class, BenchCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; user mistakes print one line on stderr. */
    static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::onFailure);
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("tapir: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more.");
            return 2;
        });
        return cli.execute(args);
    }

    private static int onFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        cli.getErr().println("tapir: " + UserMessages.describe(e));
        if (Boolean.getBoolean("tapir.debug")) {
            e.printStackTrace(cli.getErr());
        }
        return 1;
    }

    /** The version from the jar's manifest (set by the build). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tapir " + (v == null ? "(development build)" : v)};
        }
    }
}
