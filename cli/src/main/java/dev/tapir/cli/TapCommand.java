package dev.tapir.cli;

import dev.tapir.nativeio.SyscallException;
import dev.tapir.tools.Ipv4Prefix;
import dev.tapir.tools.TapLab;
import dev.tapir.tools.TapSetup;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tapir tap create|delete|lab}: tap and namespace set-up for the userspace stack. A user's mistake (bad option
 * value, missing namespace, existing name, no privilege) prints one line on stderr and returns a non-zero code.
 */
@Command(name = "tap", description = "Create and delete taps and the tap lab namespace (needs root).",
        subcommands = {TapCommand.Create.class, TapCommand.Delete.class, TapCommand.Lab.class})
public final class TapCommand implements Callable<Integer> {
    /** Exit code for a command line the user got wrong. */
    static final int USAGE = 2;
    /** Exit code for a set-up step that failed. */
    static final int FAILED = 1;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("tapir tap: name a subcommand: create, delete or lab");
        return USAGE;
    }

    /** Runs a set-up step, turning its failures into one line. */
    interface Step {
        void run(PrintWriter out) throws IOException;
    }

    static int run(CommandSpec spec, Step step) {
        PrintWriter err = spec.commandLine().getErr();
        String prefix = "tapir tap " + spec.name() + ": ";
        try {
            step.run(spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return 0;
        } catch (IllegalArgumentException e) {
            err.println(prefix + e.getMessage());
            return USAGE;
        } catch (SyscallException e) {
            err.println(prefix + e.getMessage() + hint(e));
            return FAILED;
        } catch (IOException e) {
            err.println(prefix + e.getMessage());
            return FAILED;
        }
    }

    private static String hint(SyscallException e) {
        return switch (e.errnoName()) {
            case "EPERM", "EACCES" -> " (run as root)";
            case "EEXIST" -> " (the name is taken)";
            default -> "";
        };
    }

    @Command(name = "create", description = "Create a tap, optionally on a bridge, with an address, MTU and owner.")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "Interface name (at most 15 characters).")
        String name;
        @Option(names = "--bridge", paramLabel = "BR", description = "Enslave to this bridge (created if missing).")
        String bridge;
        @Option(names = "--address", paramLabel = "CIDR",
                description = "IPv4 address/prefix, put on the bridge if there is one, else on the tap.")
        String address;
        @Option(names = "--mtu", paramLabel = "N", description = "MTU (68..65535).")
        int mtu;
        @Option(names = "--owner", paramLabel = "USER", description = "User (name or uid) allowed to attach.")
        String owner;
        @Option(names = "--persist", description = "Keep the tap after this command exits.")
        boolean persist;
        @Option(names = "--netns", paramLabel = "NS", description = "Network namespace to create it in.")
        String netns;

        @Override
        public Integer call() {
            if (!persist) {
                spec.commandLine().getErr().println("tapir tap create: a tap without --persist disappears when this"
                        + " command exits; add --persist");
                return USAGE;
            }
            return run(spec, out -> {
                Ipv4Prefix prefix = address == null ? null : Ipv4Prefix.parse(address);
                TapSetup.create(new TapSetup.Spec(name, bridge, prefix, mtu, owner, true, netns)).close();
                out.println("created tap " + name + (netns == null ? "" : " in network namespace " + netns));
            });
        }
    }

    @Command(name = "delete", description = "Delete a persistent tap (or any link).")
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "NAME")
        String name;
        @Option(names = "--netns", paramLabel = "NS")
        String netns;

        @Override
        public Integer call() {
            return run(spec, out -> {
                TapSetup.delete(name, netns);
                out.println("deleted " + name);
            });
        }
    }

    @Command(name = "lab", description = "Create (or --delete) namespace NS with bridge " + TapLab.BRIDGE + " ("
            + TapLab.HOST_ADDRESS + ") and persistent taps " + TapLab.SERVER_TAP + ", " + TapLab.CLIENT_TAP + ".")
    static final class Lab implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--netns", paramLabel = "NS", defaultValue = TapLab.DEFAULT_NAMESPACE,
                description = "Namespace name (default ${DEFAULT-VALUE}).")
        String netns;
        @Option(names = "--delete", description = "Remove the lab and its namespace.")
        boolean delete;

        @Override
        public Integer call() {
            return run(spec, out -> {
                if (delete) {
                    TapLab.delete(netns);
                    out.println("deleted lab namespace " + netns);
                    return;
                }
                TapLab.Lab lab = TapLab.create(netns);
                out.println("lab ready in network namespace " + lab.namespace()
                        + (lab.bridgeNetfilterOff() ? " (bridge netfilter off there)" : "") + "; run:");
                out.println("  " + lab.serverCommand());
                out.println("  " + lab.clientCommand());
            });
        }
    }
}
