package io.pmtarget.engine.volume;

/**
 * Test-only breakages of the commit protocol, so the crash tests can prove their checker finds a broken
 * protocol. Production code always uses {@link #NONE}; only {@link Volumes#open(VolumeSpec,
 * io.pmtarget.engine.pmem.PmemDevice, BackingDevice, CommitFault)} accepts another value.
 */
public enum CommitFault {
    NONE,
    /** Omits the drain that must make data and entries durable before the seq_count store. */
    SKIP_DRAIN_BEFORE_SEQ
}
