package io.pmtarget.it.support;

import java.nio.file.Path;
import java.time.Duration;

/**
 * An iSCSI target running as a separate process on 127.0.0.1, with one target IQN and one
 * data LUN. Tests depend only on this interface, so every test runs unchanged against tgtd
 * ({@link TgtdTarget}) and against our server ({@link PmtargetServer}).
 *
 * <p>Life cycle: construct, {@link #start()}, use, {@link #close()}. {@link #restart()} stops
 * the process and starts a new one on the same port over the same LUN data (for durability
 * round trips). {@code close()} is idempotent and never leaves a process behind.
 */
public interface TargetUnderTest extends AutoCloseable {

    /** Short name for file names and reports: "tgtd", "pmtarget". */
    String name();

    /** Starts the process and returns once the portal accepts TCP connections. */
    void start() throws Exception;

    /** Stops cleanly, then starts again on the same port with the same LUN contents. */
    void restart() throws Exception;

    /**
     * SIGKILL, no clean stop: a crash. The LUN data stays; {@link #start()} brings the target up
     * again over it (durability tests: what was acknowledged after SYNCHRONIZE CACHE must survive).
     */
    void kill();

    /** Stops the process (clean stop first, kill after a timeout); safe to call twice. */
    @Override
    void close();

    int port();

    String iqn();

    /** The LUN number of the data LUN (tgtd: 1, because its LUN 0 is a controller). */
    int lun();

    TargetOptions options();

    /** Process id of the running target; throws if not running. */
    long pid();

    /** User + system CPU time of the process over all its threads, read from /proc. */
    default Duration cpuTime() {
        return ProcStat.cpuTime(pid());
    }

    /** Directory with this target's logs and backing files; kept after the run for post-mortems. */
    Path workDir();

    /** Plain URL of the data LUN, with the CHAP credentials from {@link #options()} if any. */
    default IscsiUrl url() {
        IscsiUrl url = IscsiUrl.of(port(), iqn(), lun());
        TargetOptions o = options();
        if (o.chap()) {
            url = url.withChap(o.chapUser(), o.chapSecret());
        }
        if (o.mutualChap()) {
            url = url.withMutualChap(o.mutualUser(), o.mutualSecret());
        }
        return url;
    }
}
