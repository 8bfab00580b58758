package io.pmtarget.engine.volume;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The counters of one volume (LongAdder: contended counters stay off shared cache lines). */
final class VolumeCounters {
    final LongAdder reads = new LongAdder();
    final LongAdder readHits = new LongAdder();
    final LongAdder readMisses = new LongAdder();
    /** Reads and writes done by tryRead / tryWrite, and the calls of those that declined. */
    final LongAdder inlineReads = new LongAdder();
    final LongAdder inlineWrites = new LongAdder();
    final LongAdder inlineFallbacks = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder writeHits = new LongAdder();
    final LongAdder commits = new LongAdder();
    final LongAdder commitRequests = new LongAdder();
    /** Autocommits that found writers of the old generation still copying and left the commit point to later. */
    final LongAdder commitsDeferred = new LongAdder();
    /** Writes that entered the gate in a generation a commit then closed, and entered again. */
    final LongAdder staleGenerationRetries = new LongAdder();
    /** Shards whose committed generation a writer walked (the rest the next commit walks). */
    final LongAdder writerWalks = new LongAdder();
    final LongAdder writebackBlocks = new LongAdder();
    final LongAdder writebackBytes = new LongAdder();
    final LongAdder writebackRuns = new LongAdder();
    final LongAdder discards = new LongAdder();
    final LongAdder fullWaits = new LongAdder();
    final LatencyHistogram writeLatency = new LatencyHistogram("write", IoGate.defaultStripes());
    final LatencyHistogram fuaWriteLatency = new LatencyHistogram("fua_write", IoGate.defaultStripes());
    final LatencyHistogram readLatency = new LatencyHistogram("read", IoGate.defaultStripes());
    final LatencyHistogram commitLatency = new LatencyHistogram("commit", IoGate.defaultStripes());

    /** Counter names as the status shows them; read hits/misses count blocks, the rest requests. */
    Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("reads", reads.sum());
        m.put("read_hit_blocks", readHits.sum());
        m.put("read_miss_blocks", readMisses.sum());
        m.put("inline_reads", inlineReads.sum());
        m.put("inline_writes", inlineWrites.sum());
        m.put("inline_fallbacks", inlineFallbacks.sum());
        m.put("writes", writes.sum());
        m.put("write_hit_blocks", writeHits.sum());
        m.put("commits", commits.sum());
        m.put("commit_requests", commitRequests.sum());
        m.put("commits_deferred", commitsDeferred.sum());
        m.put("stale_generation_retries", staleGenerationRetries.sum());
        m.put("writer_walks", writerWalks.sum());
        m.put("writeback_blocks", writebackBlocks.sum());
        m.put("writeback_bytes", writebackBytes.sum());
        m.put("writeback_ios", writebackRuns.sum());
        m.put("discards", discards.sum());
        m.put("full_cache_waits", fullWaits.sum());
        writeLatency.addTo(m);
        fuaWriteLatency.addTo(m);
        readLatency.addTo(m);
        commitLatency.addTo(m);
        return m;
    }
}
