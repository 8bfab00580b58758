package io.pmtarget.target.cli;

import io.pmtarget.engine.tool.CacheTool;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code pmtarget cache-tool inspect FILE [--start-sector N] | format FILE --block-size N --size BYTES}: the engine's
 * offline tool for a cache file (dm-writecache v1 format), so an operator needs no server to look
 * at one. Arguments go to {@link CacheTool} unchanged.
 */
@Command(name = "cache-tool", description = {
    "Inspect or format a cache file offline (no server needed).",
    "  cache-tool inspect FILE                         superblock, entry counts, consistency (exit 1 if inconsistent)",
    "    [--start-sector N]                            the superblock is N 512-byte sectors in (dm-writecache start_sector)",
    "  cache-tool format FILE --block-size N --size B  format a new, all-zero cache file"})
final class CacheToolCommand implements Callable<Integer> {

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return CacheTool.run(args.toArray(String[]::new), System.out, System.err);
    }
}
