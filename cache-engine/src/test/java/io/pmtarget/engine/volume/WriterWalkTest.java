package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * After an autocommit the committed generation is walked (UNCOMMITTED cleared, superseded versions freed) by
 * the next writer in each shard; what writers leave, the next advance walks, before the generation of the
 * same parity starts. Both end in simulated crashes that show the committed data intact.
 */
class WriterWalkTest {

    private static final int BS = 4096;
    private static final int BLOCKS = 256;

    private SimulatedPmemDevice pmem;
    private MemBackingDevice backing;

    @AfterEach
    void unforce() {
        CacheIndex.forcedShards = 0;
        CacheIndex.forcedChunkSectorsLog2 = -1;
    }

    /** Four shards, sectors hashed one by one; autocommit every 4 blocks, not by time. */
    private CacheVolume open() throws Exception {
        CacheIndex.forcedShards = 4;
        CacheIndex.forcedChunkSectorsLog2 = 0;
        pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, BLOCKS));
        backing = new MemBackingDevice(new Object(), BLOCKS * BS * 4);
        return (CacheVolume) TestVolumes.open(pmem, backing, BS,
                opts("autocommit_blocks", "4", "autocommit_time", "3600000"));
    }

    private Volume crashedCopy(long seed) throws Exception {
        CacheIndex.forcedShards = 0;
        return TestVolumes.open(pmem.crash(new Random(seed)), backing.crash(new Object(), new Random(seed)), BS,
                opts());
    }

    private static long counter(Volume v, String name) {
        return v.status().counters().get(name);
    }

    /** Block numbers (of the first {@code BLOCKS}) whose sectors fall in shard {@code sh}. */
    private static List<Long> blocksOf(CacheVolume v, IndexShard sh, int want) {
        List<Long> out = new ArrayList<>();
        for (long b = 0; b < BLOCKS && out.size() < want; b++) {
            if (v.index.shardOf(b * BS / CacheLayout.SECTOR_BYTES) == sh) {
                out.add(b);
            }
        }
        assertEquals(want, out.size(), "blocks in shard " + sh.number);
        return out;
    }

    @Test
    void theNextWriterInTheShardWalksTheCommittedGenerationAndFreesWhatItSupersedes() throws Exception {
        CacheVolume v = open();
        List<Long> a = blocksOf(v, v.index.shard(0), 4);
        for (int i = 0; i < 4; i++) {
            v.write(a.get(i) * BS, block(BS, 100 + i), false); // the fourth write autocommits
        }
        long seq = counter(v, "seq_count");
        IndexShard sh = v.index.shard(0);
        assertEquals(4, sh.uncommitted(seq - 1), "the autocommit left the walk to the writers");
        long free = v.status().blocksFree();
        // Rewrites: the first walks the committed generation, the fourth autocommits it, and a fifth write
        // then walks that one, freeing the four versions it supersedes.
        for (int i = 0; i < 4; i++) {
            v.write(a.get(i) * BS, block(BS, 200 + i), false);
        }
        assertEquals(0, sh.uncommitted(seq - 1), "walked");
        assertEquals(1, counter(v, "writer_walks"));
        assertEquals(free - 4, v.status().blocksFree(), "superseded versions wait for their successors' commit");
        v.write(a.get(0) * BS, block(BS, 300), false);
        assertEquals(2, counter(v, "writer_walks"));
        assertEquals(0, counter(v, "write_hit_blocks"), "no committed entry was rewritten in place");
        assertEquals(free - 1, v.status().blocksFree(), "the walk freed the four first versions; 300 took one");
        Volume r = crashedCopy(1);
        for (int i = 0; i < 4; i++) {
            assertEquals(200 + i, readTag(r, a.get(i) * BS), "block " + a.get(i));
        }
        assertTrue(!r.readOnly() && r.status().error() == null, "recovered cleanly: " + r.status().error());
        r.close();
        v.close();
    }

    @Test
    void aShardNoWriterWalkedIsWalkedBeforeItsGenerationsParityComesBack() throws Exception {
        CacheVolume v = open();
        IndexShard quiet = v.index.shard(0);
        IndexShard busy = v.index.shard(1);
        assertNotSame(quiet, busy);
        long x = blocksOf(v, quiet, 1).get(0);
        List<Long> b = blocksOf(v, busy, 8);
        // Generation g: x and three blocks of the busy shard, autocommitted by the fourth write.
        long g = v.gate.generation();
        v.write(x * BS, block(BS, 1), false);
        for (int i = 0; i < 3; i++) {
            v.write(b.get(i) * BS, block(BS, 10 + i), false);
        }
        assertEquals(g + 1, counter(v, "seq_count"), "generation g committed");
        // Generation g + 1 writes only in the busy shard: its writer walks it, nobody walks the quiet one,
        // where x's entry still carries UNCOMMITTED and g's parity, which is g + 2's.
        for (int i = 3; i < 7; i++) {
            v.write(b.get(i) * BS, block(BS, 10 + i), false);
        }
        assertEquals(g + 2, counter(v, "seq_count"), "generation g + 1 committed");
        assertEquals(g + 2, v.gate.generation());
        assertEquals(0, quiet.uncommitted(g), "the advance to g + 2 walked the quiet shard");
        // A write of x in g + 2 must take a new entry: x's entry is committed, whatever its parity says.
        v.write(x * BS, block(BS, 2), false);
        assertEquals(0, counter(v, "write_hit_blocks"), "the committed entry was not rewritten in place");
        assertEquals(2, readTag(v, x * BS));
        Volume r = crashedCopy(2);
        assertEquals(1, readTag(r, x * BS), "the committed version survives; the uncommitted rewrite vanishes");
        for (int i = 0; i < 7; i++) {
            assertEquals(10 + i, readTag(r, b.get(i) * BS), "block " + b.get(i));
        }
        assertTrue(!r.readOnly() && r.status().error() == null, "recovered cleanly: " + r.status().error());
        r.close();
        v.close();
    }
}
