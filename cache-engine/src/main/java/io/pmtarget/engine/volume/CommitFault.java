package io.pmtarget.engine.volume;

/**
 * Test-only breakages of the commit protocol, so the crash tests can prove their checker finds a broken
 * protocol. Production code always uses {@link #NONE}; only {@link Volumes#open(VolumeSpec,
 * io.pmtarget.engine.pmem.PmemDevice, BackingDevice, CommitFault)} accepts another value.
 */
public enum CommitFault {
    NONE,
    /**
     * Omits every fence that must make data and entries durable before the seq_count store: the
     * writer's own drain after its copy and the commit's drain before the store.
     */
    SKIP_DRAIN_BEFORE_SEQ
}
