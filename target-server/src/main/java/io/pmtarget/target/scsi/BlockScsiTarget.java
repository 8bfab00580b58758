package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SCSI block target: a set of logical units, each a cache-engine volume (SBC-4 direct-access
 * block devices), behind one iSCSI target name.
 *
 * <p>Dispatch: opcode lookup and CDB usage-map check ({@link CommandTable}), LUN lookup, unit
 * attention (SPC-5 5.14), reservation conflict (SPC-5 5.13), then the handler: inline on the
 * caller's thread for commands without volume I/O, else on the LU's bounded executor (a full queue
 * answers TASK SET FULL, SAM-5 5.3). READ and WRITE first try their non-blocking variant inline
 * (a cache hit, a write the cache takes at once) and go to the executor only when it declines. The
 * request's data-out buffer is released here, exactly once, after the handler is done with it.
 */
public final class BlockScsiTarget implements ScsiTarget, AutoCloseable {

    static final Logger LOG = LoggerFactory.getLogger(BlockScsiTarget.class);

    /** INQUIRY T10 VENDOR IDENTIFICATION (8 ASCII bytes). */
    public static final String VENDOR = "PMTARGET";
    static final ScsiResponse GOOD = new ScsiResponse(Sense.STATUS_GOOD, null, null);
    static final ScsiResponse RESERVATION_CONFLICT = new ScsiResponse(Sense.STATUS_RESERVATION_CONFLICT, null, null);
    static final ScsiResponse TASK_SET_FULL = new ScsiResponse(Sense.STATUS_TASK_SET_FULL, null, null);
    /** Smallest transfer limit we accept: one 4 KiB block plus headroom for COMPARE AND WRITE. */
    public static final int MAX_DATA_OUT_BYTES_MIN = 8192;

    final String targetName;
    final int maxDataOutBytes;
    final ByteBufAllocator alloc;
    private final boolean inlineIo;
    private final Map<Long, LogicalUnit> luns;

    /**
     * @param targetName      the iSCSI target name (IQN / EUI / NAA), used in VPD 0x83 and for NAA ids
     * @param maxDataOutBytes largest data transfer of one command (data-in or data-out), as the
     *                        transport allows (>= {@value #MAX_DATA_OUT_BYTES_MIN}); reported as
     *                        MAXIMUM TRANSFER LENGTH in VPD B0
     * @param luns            the logical units; LUN numbers unique
     */
    public BlockScsiTarget(String targetName, int maxDataOutBytes, List<LunConfig> luns) {
        this(targetName, maxDataOutBytes, luns, PooledByteBufAllocator.DEFAULT, true);
    }

    public BlockScsiTarget(String targetName, int maxDataOutBytes, List<LunConfig> luns, ByteBufAllocator alloc) {
        this(targetName, maxDataOutBytes, luns, alloc, true);
    }

    /** @param inlineIo try READ, WRITE and SYNCHRONIZE CACHE on the caller's thread first (see class doc) */
    public BlockScsiTarget(String targetName, int maxDataOutBytes, List<LunConfig> luns, ByteBufAllocator alloc,
                           boolean inlineIo) {
        this.inlineIo = inlineIo;
        this.targetName = Objects.requireNonNull(targetName, "targetName");
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        if (maxDataOutBytes < MAX_DATA_OUT_BYTES_MIN) {
            throw new IllegalArgumentException("maxDataOutBytes: " + maxDataOutBytes + " < " + MAX_DATA_OUT_BYTES_MIN);
        }
        this.maxDataOutBytes = maxDataOutBytes;
        TreeMap<Long, LogicalUnit> map = new TreeMap<>();
        for (LunConfig c : luns) {
            if (map.containsKey(c.lun())) {
                throw new IllegalArgumentException("lun " + c.lun() + ": defined twice in target " + targetName);
            }
            map.put(c.lun(), new LogicalUnit(targetName, c));
        }
        this.luns = map;
    }

    @Override
    public int maxDataOutBytes() {
        return maxDataOutBytes;
    }

    /** LUN numbers, ascending (REPORT LUNS order). */
    long[] lunNumbers() {
        return luns.keySet().stream().mapToLong(Long::longValue).toArray();
    }

    @Override
    public void execute(ScsiRequest request, Consumer<ScsiResponse> done) {
        ByteBuf dataOut = request.dataOut();
        boolean handedOff = false;
        try {
            CommandTable.Spec spec;
            try {
                spec = CommandTable.lookup(request.cdb());
            } catch (ScsiException e) {
                LogicalUnit lu = luns.get(request.lun());
                if (lu == null && !isInquiryOrReportLuns(request)) {
                    e = ScsiException.of(SenseCode.LU_NOT_SUPPORTED);
                }
                done.accept(checkCondition(e));
                return;
            }
            LogicalUnit lu = luns.get(request.lun());
            if (lu == null && spec.opcode() != 0xA0) {
                done.accept(missingLun(spec, request));
                return;
            }
            ScsiResponse early = lu == null ? null : admission(lu, spec, request);
            if (early != null) {
                done.accept(early);
                return;
            }
            if (spec.io()) {
                ScsiResponse inline = spec.inline() == null || !inlineIo ? null : run(spec.inline(), spec, lu, request);
                if (inline != null) {
                    done.accept(inline);
                    return;
                }
                handedOff = lu.submit(() -> runAndRelease(spec, lu, request, done));
                if (!handedOff) {
                    done.accept(TASK_SET_FULL);
                }
                return;
            }
            done.accept(run(spec, lu, request));
        } finally {
            if (!handedOff && dataOut != null) {
                ReferenceCountUtil.safeRelease(dataOut);
            }
        }
    }

    private static boolean isInquiryOrReportLuns(ScsiRequest request) {
        int opcode = request.cdb().length > 0 ? request.cdb()[0] & 0xFF : -1;
        return opcode == 0x12 || opcode == 0xA0;
    }

    /** Unit attention (SPC-5 5.14) and reservation conflict (SPC-5 5.13) checks; null = proceed. */
    private static ScsiResponse admission(LogicalUnit lu, CommandTable.Spec spec, ScsiRequest request) {
        lu.noteNexus(request.nexus());
        if (!spec.uaExempt()) {
            SenseCode ua = lu.pollUnitAttention(request.nexus());
            if (ua != null) {
                return new ScsiResponse(Sense.STATUS_CHECK_CONDITION, Sense.of(ua), null);
            }
        }
        if (lu.reservations.conflicts(request.nexus(), spec.opcode(), spec.access())) {
            return RESERVATION_CONFLICT;
        }
        return null;
    }

    /** SPC-5 6.7.2 / SAM-5 5.8: a LUN that is not there. */
    private ScsiResponse missingLun(CommandTable.Spec spec, ScsiRequest request) {
        if (spec.opcode() == 0x12) {
            return run(spec, null, request);
        }
        if (spec.opcode() == 0x03) {
            // REQUEST SENSE to an unsupported LUN reports the condition as sense data with GOOD.
            byte[] sense = Sense.of(SenseCode.LU_NOT_SUPPORTED);
            return dataIn(sense, sense.length, Cdb.u8(request.cdb(), 4));
        }
        return checkCondition(ScsiException.of(SenseCode.LU_NOT_SUPPORTED));
    }

    private void runAndRelease(CommandTable.Spec spec, LogicalUnit lu, ScsiRequest request, Consumer<ScsiResponse> done) {
        ScsiResponse response;
        try {
            response = run(spec, lu, request);
        } finally {
            if (request.dataOut() != null) {
                ReferenceCountUtil.safeRelease(request.dataOut());
            }
        }
        try {
            done.accept(response);
        } catch (RuntimeException e) {
            LOG.error("lun {}: completion callback of {} failed", request.lun(), spec.name(), e);
        }
    }

    private ScsiResponse run(CommandTable.Spec spec, LogicalUnit lu, ScsiRequest request) {
        return run(spec.handler(), spec, lu, request);
    }

    private ScsiResponse run(CommandTable.Handler handler, CommandTable.Spec spec, LogicalUnit lu, ScsiRequest request) {
        try {
            return handler.run(this, lu, request);
        } catch (ScsiException e) {
            return checkCondition(e);
        } catch (RuntimeException | AssertionError e) {
            LOG.error("lun {}: {} failed unexpectedly", request.lun(), spec.name(), e);
            return checkCondition(ScsiException.of(SenseCode.INTERNAL_TARGET_FAILURE));
        }
    }

    static ScsiResponse checkCondition(ScsiException e) {
        return new ScsiResponse(Sense.STATUS_CHECK_CONDITION, Sense.of(e), null);
    }

    /**
     * Data-in of {@code min(lengthBytes, allocationLength)} bytes of {@code data} in a pooled direct
     * buffer (SPC-5 4.2.5.6: the allocation length truncates, it is never an error).
     */
    ScsiResponse dataIn(byte[] data, int lengthBytes, long allocationLength) {
        int n = (int) Math.min(lengthBytes, allocationLength);
        if (n == 0) {
            return GOOD;
        }
        ByteBuf buf = alloc.directBuffer(n, n);
        buf.writeBytes(data, 0, n);
        return new ScsiResponse(Sense.STATUS_GOOD, null, buf);
    }

    @Override
    public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
        // SAM-5 6.3 / 6.6: a LOGICAL UNIT RESET or target reset establishes a unit attention for every
        // I_T nexus of the affected LUs (in-flight tasks are the transport's to abort). RESERVE(6)
        // style reservations would be released; persistent reservations survive (SPC-5 5.13.2).
        for (LogicalUnit lu : luns.values()) {
            if (wholeTarget || lu.lun() == lun) {
                lu.noteNexus(nexus);
                lu.reservations.reset();
                lu.raiseUnitAttention(SenseCode.POWER_ON_RESET, null);
            }
        }
    }

    @Override
    public void nexusLost(ItNexus nexus) {
        for (LogicalUnit lu : luns.values()) {
            lu.reservations.release6(nexus);
            lu.forgetNexus(nexus);
        }
    }

    /** Stops the LU executors (waiting up to 10 s each for running commands). Volumes stay open. */
    @Override
    public void close() {
        for (LogicalUnit lu : luns.values()) {
            lu.close();
        }
    }

    LogicalUnit logicalUnit(long lun) {
        return luns.get(lun);
    }
}
