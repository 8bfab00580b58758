package io.pmtarget.engine.tool;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.pmem.PmemDevices;
import io.pmtarget.engine.volume.CacheLayout;
import io.pmtarget.engine.volume.OffsetPmemDevice;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Offline tool for cache devices.
 *
 * <pre>
 *   CacheTool format FILE --block-size N --size BYTES   create/format a blank cache file
 *   CacheTool inspect FILE [--start-sector N]            print the superblock, count entries, check consistency
 *                                                        (N: dm-writecache's start_sector, 512-byte sectors)
 * </pre>
 * Exit codes: 0 ok, 1 inconsistent metadata (inspect) or refused format, 2 usage or I/O error.
 */
public final class CacheTool {

    static final int EXIT_OK = 0;
    static final int EXIT_INCONSISTENT = 1;
    static final int EXIT_USAGE = 2;

    private CacheTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one tool command; returns the exit status (0 ok, 1 inconsistent or refused, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 2) {
            return usage(err, "missing command or file");
        }
        try {
            return switch (args[0]) {
                case "format" -> format(args, out, err);
                case "inspect" -> inspect(args, out, err);
                default -> usage(err, "unknown command '" + args[0] + "'");
            };
        } catch (RuntimeException e) {
            err.println("error: " + e.getMessage());
            return EXIT_USAGE;
        }
    }

    private static int format(String[] args, PrintStream out, PrintStream err) {
        Path file = Path.of(args[1]);
        int blockSize = 4096;
        long size = 0;
        for (int i = 2; i < args.length; i++) {
            if (i + 1 >= args.length) {
                return usage(err, args[i] + ": needs a value");
            }
            switch (args[i]) {
                case "--block-size" -> blockSize = Integer.parseInt(args[++i]);
                case "--size" -> size = Long.parseLong(args[++i]);
                default -> {
                    return usage(err, "unknown option '" + args[i] + "'");
                }
            }
        }
        if (size <= 0 && !Files.exists(file)) {
            return usage(err, "--size: required to create " + file);
        }
        try (PmemDevice device = PmemDevices.open(file, size, PmemDevices.PERSISTENCE_AUTO)) {
            CacheLayout layout;
            try {
                layout = CacheLayout.format(device, blockSize);
            } catch (IllegalStateException e) {
                err.println("refused: " + e.getMessage());
                return EXIT_INCONSISTENT;
            }
            out.printf("formatted %s: %d blocks of %d bytes, data at offset %d, persistence %s%n", file,
                    layout.nBlocks(), layout.blockSizeBytes(), layout.dataStartBytes(), device.mode());
            return EXIT_OK;
        }
    }

    private static int inspect(String[] args, PrintStream out, PrintStream err) {
        Path file = Path.of(args[1]);
        long startSector = 0;
        for (int i = 2; i < args.length; i++) {
            if (!args[i].equals("--start-sector")) {
                return usage(err, "unknown option '" + args[i] + "'");
            }
            if (i + 1 >= args.length) {
                return usage(err, args[i] + ": needs a value");
            }
            startSector = Long.parseLong(args[++i]);
            if (startSector < 0 || startSector > Long.MAX_VALUE / CacheLayout.SECTOR_BYTES) {
                return usage(err, "--start-sector: out of range: " + startSector);
            }
        }
        if (!Files.isRegularFile(file)) {
            err.println("error: " + file + " is not a file");
            return EXIT_USAGE;
        }
        try (PmemDevice raw = PmemDevices.open(file, 0, PmemDevices.PERSISTENCE_JAVA)) {
            // The window does not own the mapping: raw closes it (closing both would unmap twice).
            PmemDevice device = startSector == 0 ? raw : new OffsetPmemDevice(raw, startSector * CacheLayout.SECTOR_BYTES);
            CacheInspector.Report report = CacheInspector.inspect(device);
            out.print(report.render());
            return report.consistent() ? EXIT_OK : EXIT_INCONSISTENT;
        }
    }

    private static int usage(PrintStream err, String problem) {
        err.println("error: " + problem);
        err.println("usage: CacheTool format FILE --block-size N --size BYTES");
        err.println("       CacheTool inspect FILE [--start-sector N]");
        return EXIT_USAGE;
    }
}
