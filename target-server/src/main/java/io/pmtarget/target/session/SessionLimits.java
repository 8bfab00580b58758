package io.pmtarget.target.session;

/**
 * Our own limits for one full-feature session (not negotiated; from the config).
 *
 * @param commandWindowSize            commands the initiator may have in flight: MaxCmdSN =
 *                                     ExpCmdSN + window - active - 1 (RFC 7143 section 4.2.2.1);
 *                                     at least 64 so a Linux initiator's queue depth fits
 * @param immediateCommandsMax         immediate commands in flight before Reject reason 0x06
 * @param bufferedDataOutBytesMax      data-out bytes this session may hold in buffers at once;
 *                                     a write beyond it gets TASK SET FULL
 * @param r2tOutstandingMax            our cap on R2Ts in flight per task (MaxOutstandingR2T may
 *                                     be up to 65535; this bounds per-task state)
 * @param nopInIntervalMs              idle time before we ping with a NOP-In; 0 disables
 * @param nopInTimeoutMs               time a ping may go unanswered before we drop the connection
 * @param outboundPdusPerTurnMax       Data-In/Response PDUs written per event-loop turn
 */
public record SessionLimits(
        int commandWindowSize,
        int immediateCommandsMax,
        long bufferedDataOutBytesMax,
        int r2tOutstandingMax,
        long nopInIntervalMs,
        long nopInTimeoutMs,
        int outboundPdusPerTurnMax) {

    /** RFC 7143 asks nothing here; 64 matches the brief and Linux's default cmds_max per session. */
    public static final int COMMAND_WINDOW_SIZE_MIN = 64;

    public SessionLimits {
        if (commandWindowSize < COMMAND_WINDOW_SIZE_MIN || commandWindowSize > 1 << 16) {
            throw new IllegalArgumentException("commandWindowSize must be in [64, 65536]: " + commandWindowSize);
        }
        if (immediateCommandsMax < 1 || immediateCommandsMax > 1024) {
            throw new IllegalArgumentException("immediateCommandsMax must be in [1, 1024]: " + immediateCommandsMax);
        }
        if (bufferedDataOutBytesMax < SessionParams.LENGTH_BYTES_MIN) {
            throw new IllegalArgumentException("bufferedDataOutBytesMax too small: " + bufferedDataOutBytesMax);
        }
        if (r2tOutstandingMax < 1 || r2tOutstandingMax > 65535) {
            throw new IllegalArgumentException("r2tOutstandingMax must be in [1, 65535]: " + r2tOutstandingMax);
        }
        if (nopInIntervalMs < 0 || (nopInIntervalMs > 0 && nopInTimeoutMs <= 0)) {
            throw new IllegalArgumentException("nopInIntervalMs must be >= 0 and nopInTimeoutMs > 0 when pinging: "
                    + nopInIntervalMs + ", " + nopInTimeoutMs);
        }
        if (outboundPdusPerTurnMax < 1) {
            throw new IllegalArgumentException("outboundPdusPerTurnMax must be >= 1: " + outboundPdusPerTurnMax);
        }
    }

    /**
     * Defaults: window 128; 16 immediate commands; 64 MiB of buffered writes (64 in-flight 1 MiB
     * writes); 16 R2Ts per task; ping after 5 s idle, drop after 5 s more (what open-iscsi does
     * towards us, see DESIGN.md); 64 PDUs per turn (512 KiB at 8 KiB segments).
     */
    public static SessionLimits defaults() {
        return new SessionLimits(128, 16, 64L << 20, 16, 5000, 5000, 64);
    }
}
