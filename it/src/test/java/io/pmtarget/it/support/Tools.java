package io.pmtarget.it.support;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Finds external tools on PATH (plus /usr/sbin, where Debian puts tgtd). A missing tool is a
 * test FAILURE naming the tool and its Debian package, never a skip: a CI machine that forgot
 * to run .ci/install-deps.sh must go red, not silently green.
 */
public final class Tools {

    private static final Map<String, String> PACKAGE_OF = Map.ofEntries(
            Map.entry("iscsi-test-cu", "libiscsi-bin"),
            Map.entry("iscsi-inq", "libiscsi-bin"),
            Map.entry("iscsi-ls", "libiscsi-bin"),
            Map.entry("iscsi-readcapacity16", "libiscsi-bin"),
            Map.entry("iscsi-perf", "libiscsi-bin"),
            Map.entry("tgtd", "tgt"),
            Map.entry("tgtadm", "tgt"),
            Map.entry("gcc", "gcc"),
            Map.entry("setsid", "util-linux"));

    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/local/sbin");

    private Tools() {
    }

    /** Absolute path of {@code tool}; throws AssertionError (a failure) if it is not installed. */
    public static Path require(String tool) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        for (String dir : EXTRA_DIRS) {
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("required tool '" + tool + "' is not installed (Debian package '"
                + PACKAGE_OF.getOrDefault(tool, "?") + "'); run .ci/install-deps.sh");
    }

    /** Fails naming the header if a C header (from a -dev package) is missing. */
    public static void requireFile(Path file, String debianPackage) {
        if (!Files.isRegularFile(file)) {
            throw new AssertionError("required file " + file + " is missing (Debian package '"
                    + debianPackage + "'); run .ci/install-deps.sh");
        }
    }
}
