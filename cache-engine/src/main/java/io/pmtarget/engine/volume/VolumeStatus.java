package io.pmtarget.engine.volume;

import java.util.Map;

/**
 * A snapshot of a volume: the dm-writecache status fields first, then our own counters.
 *
 * @param error           null, or the sticky error text (e.g. a backing-device write failure)
 * @param blocksTotal     n_blocks of the cache
 * @param blocksFree      free cache blocks
 * @param blocksWriteback blocks under writeback now
 * @param persistenceMode how durability is obtained (see PmemDevice#mode)
 * @param counters        named counters (hits, misses, writes, commits, writeback bytes, latencies ...)
 */
public record VolumeStatus(
        String name,
        String error,
        boolean readOnly,
        long blocksTotal,
        long blocksFree,
        long blocksWriteback,
        String persistenceMode,
        Map<String, Long> counters) {
}
