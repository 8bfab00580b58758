package io.pmtarget.target.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The {@code server { }} block.
 *
 * @param dataDir           absolute directory holding relative volume files, the admin socket and the lock file
 * @param adminSocket       absolute path of the admin UNIX domain socket (mode 0600)
 * @param workerThreads     Netty worker event-loop threads; 0 = Netty's default (2 x cores)
 * @param shutdownTimeoutMs how long a graceful stop waits for connections and event loops
 * @param inlineIo          READ, WRITE and SYNCHRONIZE CACHE that need no wait run on the network event
 *                          loop; false: always on the LUN's I/O threads (two thread hand-offs each)
 */
public record ServerSettings(Path dataDir, Path adminSocket, int workerThreads, long shutdownTimeoutMs,
                             boolean inlineIo) {

    public ServerSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(adminSocket, "adminSocket");
        if (!dataDir.isAbsolute() || !adminSocket.isAbsolute()) {
            throw new IllegalArgumentException("paths must be resolved: " + dataDir + ", " + adminSocket);
        }
        if (workerThreads < 0 || shutdownTimeoutMs < 0) {
            throw new IllegalArgumentException("negative workerThreads or shutdownTimeoutMs");
        }
    }

    /** The lock file that keeps two servers off one data directory. */
    public Path lockFile() {
        return dataDir.resolve("pmtarget.lock");
    }
}
