package io.pmtarget.target.scsi;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One logical unit's state: its volume, geometry, current mode parameters, I/O executor, range
 * lock, pending unit attentions and reservations. Volume calls go through the helpers here, which
 * turn volume errors into sense codes (the mapping table is {@link #senseOf}).
 */
final class LogicalUnit implements AutoCloseable {

    /** Distinct I_T nexuses remembered for unit attentions; beyond this new ones get none. */
    static final int NEXUS_COUNT_MAX = 1024;
    /** Pending unit attentions per I_T nexus (SPC-5 5.14: queuing them is optional; we keep a few). */
    static final int UNIT_ATTENTIONS_PER_NEXUS_MAX = 8;

    final LunConfig config;
    final Volume volume;
    final String targetName;
    final int blockBytes;
    final long capacityBlocks;
    /** NAA 3 (locally assigned) identifier, 8 bytes, a stable hash of target name and LUN. */
    final byte[] naaId;
    final RangeLock rangeLock = new RangeLock();
    final Reservations reservations;
    /** Caching mode page WCE (SBC-4 6.5.5); false makes every write FUA. */
    volatile boolean writeCacheEnabled = true;
    /**
     * Control mode page SWP (SPC-5 7.5.10): set by MODE SELECT, shared by every I_T nexus, not
     * saved (back to 0 on restart, as the mode page default says).
     */
    volatile boolean softwareWriteProtect;

    private final ThreadPoolExecutor executor;
    private final ConcurrentHashMap<ItNexus, ArrayDeque<SenseCode>> unitAttentions = new ConcurrentHashMap<>();

    LogicalUnit(String targetName, LunConfig config) {
        this.config = config;
        this.volume = config.volume();
        this.targetName = targetName;
        this.blockBytes = config.blockSizeBytes();
        this.capacityBlocks = volume.sizeBytes() / blockBytes;
        if (capacityBlocks < 1) {
            throw new IllegalArgumentException("lun " + config.lun() + ": volume " + volume.name() + " of "
                    + volume.sizeBytes() + " bytes holds no " + blockBytes + "-byte block");
        }
        this.naaId = naaIdentifier(targetName, config.lun());
        this.reservations = new Reservations(config.prStateFile());
        AtomicInteger threadIndex = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(config.ioThreads(), config.ioThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.queueDepth()), r -> {
                    Thread t = new Thread(r, "scsi-lun" + config.lun() + "-io-" + threadIndex.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
    }

    long lun() {
        return config.lun();
    }

    /** Runs {@code task} on this LU's executor; false when the queue is full (TASK SET FULL). */
    boolean submit(Runnable task) {
        try {
            executor.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** SBC-4 4.5: LBA OUT OF RANGE unless [lba, lba + blocks) lies within the capacity. */
    void checkRange(long lba, long blocks) {
        if (lba < 0 || blocks < 0 || lba > capacityBlocks || blocks > capacityBlocks - lba) {
            throw ScsiException.of(SenseCode.LBA_OUT_OF_RANGE);
        }
    }

    /** WCE = 0 (SBC-4 6.5.5): the write must be on the medium before GOOD, i.e. a FUA write. */
    boolean fua(boolean fuaBit) {
        return fuaBit || !writeCacheEnabled;
    }

    /** True when writes to the medium are refused: a read-only volume, or SWP set. */
    boolean writeProtected() {
        return volume.readOnly() || softwareWriteProtect;
    }

    /** SBC-4 4.11 / SPC-5 7.5.10: DATA PROTECT, WRITE PROTECTED for a read-only volume or SWP = 1. */
    void checkWritable() {
        if (writeProtected()) {
            throw ScsiException.of(SenseCode.WRITE_PROTECTED);
        }
    }

    void read(long lba, ByteBuffer dst) {
        assert dst.remaining() % blockBytes == 0 : dst.remaining();
        try {
            volume.read(lba * blockBytes, dst);
        } catch (IOException e) {
            throw mapped(e, false);
        }
    }

    /** {@link Volume#tryRead}: false when the read would block (then use {@link #read} off the event loop). */
    boolean tryRead(long lba, ByteBuffer dst) {
        assert dst.remaining() % blockBytes == 0 : dst.remaining();
        try {
            return volume.tryRead(lba * blockBytes, dst);
        } catch (IOException e) {
            throw mapped(e, false);
        }
    }

    /** {@link Volume#tryWrite}: false when the write (with {@code fua}, its commit) would block. */
    boolean tryWrite(long lba, ByteBuffer src, boolean fua) {
        assert src.remaining() % blockBytes == 0 : src.remaining();
        try {
            return volume.tryWrite(lba * blockBytes, src, fua);
        } catch (IOException e) {
            throw mapped(e, true);
        }
    }

    /** {@link Volume#tryFlush}: false when the commit would wait. */
    boolean tryFlush() {
        try {
            return volume.tryFlush();
        } catch (IOException e) {
            throw mapped(e, true);
        }
    }

    void write(long lba, ByteBuffer src, boolean fua) {
        assert src.remaining() % blockBytes == 0 : src.remaining();
        try {
            volume.write(lba * blockBytes, src, fua);
        } catch (IOException e) {
            throw mapped(e, true);
        }
    }

    void flush() {
        try {
            volume.flush();
        } catch (IOException e) {
            throw mapped(e, true);
        }
    }

    void discard(long lba, long blocks) {
        try {
            volume.discard(lba * blockBytes, blocks * blockBytes);
        } catch (IOException e) {
            throw mapped(e, true);
        }
    }

    private ScsiException mapped(IOException e, boolean writing) {
        SenseCode code = senseOf(e, writing);
        BlockScsiTarget.LOG.warn("lun {} volume {}: {} -> {}", lun(), volume.name(), e.toString(), code);
        return ScsiException.of(code);
    }

    /** The volume-error to sense mapping table (SBC-4 4.18, SPC-5 Annex F). */
    static SenseCode senseOf(IOException e, boolean writing) {
        if (e instanceof VolumeException ve) {
            switch (ve.kind()) {
                case BACKING_READ_ERROR:
                    return SenseCode.UNRECOVERED_READ_ERROR;
                case BACKING_WRITE_ERROR:
                    return SenseCode.WRITE_ERROR;
                case READ_ONLY:
                    return SenseCode.WRITE_PROTECTED;
                case CACHE_ERROR:
                    return SenseCode.INTERNAL_TARGET_FAILURE;
                case CLOSED:
                    return SenseCode.NOT_READY;
                default:
                    throw new AssertionError(ve.kind());
            }
        }
        return writing ? SenseCode.WRITE_ERROR : SenseCode.UNRECOVERED_READ_ERROR;
    }

    /** Remembers an I_T nexus so later unit attentions reach it. */
    void noteNexus(ItNexus nexus) {
        if (nexus != null && !unitAttentions.containsKey(nexus) && unitAttentions.size() < NEXUS_COUNT_MAX) {
            unitAttentions.putIfAbsent(nexus, new ArrayDeque<>(2));
        }
    }

    /** Drops a nexus that no longer exists (its pending unit attentions die with it). */
    void forgetNexus(ItNexus nexus) {
        unitAttentions.remove(nexus);
    }

    /** Takes the oldest pending unit attention of {@code nexus}, or null. */
    SenseCode pollUnitAttention(ItNexus nexus) {
        ArrayDeque<SenseCode> q = nexus == null ? null : unitAttentions.get(nexus);
        if (q == null) {
            return null;
        }
        synchronized (q) {
            return q.pollFirst();
        }
    }

    /** Establishes a unit attention for every known nexus except {@code except} (may be null). */
    void raiseUnitAttention(SenseCode code, ItNexus except) {
        assert code.senseKey == 0x6 : code;
        unitAttentions.forEach((nexus, q) -> {
            if (!nexus.equals(except)) {
                synchronized (q) {
                    if (!q.contains(code) && q.size() < UNIT_ATTENTIONS_PER_NEXUS_MAX) {
                        q.addLast(code);
                    }
                }
            }
        });
    }

    /** One nexus only (e.g. the registrant whose key was preempted). */
    void raiseUnitAttentionFor(SenseCode code, ItNexus nexus) {
        noteNexus(nexus);
        ArrayDeque<SenseCode> q = unitAttentions.get(nexus);
        if (q != null) {
            synchronized (q) {
                if (!q.contains(code) && q.size() < UNIT_ATTENTIONS_PER_NEXUS_MAX) {
                    q.addLast(code);
                }
            }
        }
    }

    static byte[] naaIdentifier(String targetName, long lun) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((targetName + "\0" + lun).getBytes(StandardCharsets.UTF_8));
            byte[] id = new byte[8];
            System.arraycopy(h, 0, id, 0, 8);
            // NAA 3h = locally assigned (SPC-5 7.7.6.6.3): we own no IEEE OUI, so we do not fake one.
            id[0] = (byte) (0x30 | (id[0] & 0x0F));
            return id;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    @Override
    public void close() {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
