package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void bucketsAreCeilLog2OfMicroseconds() {
        assertEquals(0, LatencyHistogram.bucket(-5));
        assertEquals(0, LatencyHistogram.bucket(999));
        assertEquals(0, LatencyHistogram.bucket(1_000));
        assertEquals(1, LatencyHistogram.bucket(1_001));
        assertEquals(1, LatencyHistogram.bucket(1_999));
        assertEquals(1, LatencyHistogram.bucket(2_000));
        assertEquals(2, LatencyHistogram.bucket(3_000));
        assertEquals(2, LatencyHistogram.bucket(4_000));
        assertEquals(3, LatencyHistogram.bucket(4_001));
        assertEquals(3, LatencyHistogram.bucket(5_000));
        assertEquals(10, LatencyHistogram.bucket(1_024_000));
        assertEquals(11, LatencyHistogram.bucket(1_025_000));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket(Long.MAX_VALUE));
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.bucket((1L << 31) * 1000));
        assertEquals(LatencyHistogram.BUCKETS - 2, LatencyHistogram.bucket((1L << 30) * 1000));
    }

    @Test
    void percentilesReportTheBucketUpperBound() {
        long[] b = new long[LatencyHistogram.BUCKETS];
        assertEquals(0, LatencyHistogram.percentileUs(b, 0.5));
        b[2] = 98;
        b[7] = 1;
        b[LatencyHistogram.BUCKETS - 1] = 1;
        assertEquals(4, LatencyHistogram.percentileUs(b, 0.5));
        assertEquals(4, LatencyHistogram.percentileUs(b, 0.98));
        assertEquals(128, LatencyHistogram.percentileUs(b, 0.99));
        assertEquals(Long.MAX_VALUE, LatencyHistogram.percentileUs(b, 1.0));
        assertThrows(IllegalArgumentException.class, () -> LatencyHistogram.percentileUs(b, 0));
    }

    @Test
    void statusCountsEveryIoInItsHistogramCumulatively() throws Exception {
        Volume v = TestVolumes.open(new SimulatedPmemDevice(TestVolumes.cacheBytes(512, 64)),
                new MemBackingDevice(new Object(), 64 * 512), 512, opts());
        for (int i = 0; i < 10; i++) {
            v.write(i * 512L, block(512, i + 1), false);
        }
        v.write(0, block(512, 99), true);
        v.write(512, block(512, 98), true);
        for (int i = 0; i < 7; i++) {
            v.read(i * 512L, ByteBuffer.allocate(512));
        }
        Map<String, Long> c = new HashMap<>(v.status().counters());
        v.close();
        assertEquals(10, c.get("write_latency_us_count"));
        assertEquals(2, c.get("fua_write_latency_us_count"));
        assertEquals(7, c.get("read_latency_us_count"));
        assertTrue(c.get("commit_latency_us_count") >= 2, "each FUA write commits: " + c);
        for (String h : new String[] {"write", "fua_write", "read", "commit"}) {
            long p50 = c.get(h + "_latency_us_p50");
            long p99 = c.get(h + "_latency_us_p99");
            assertTrue(p50 >= 1 && p99 >= p50, h + ": p50 " + p50 + ", p99 " + p99);
            long previous = 0;
            long last = 0;
            for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
                String bound = i == LatencyHistogram.BUCKETS - 1 ? "inf" : Long.toString(1L << i);
                Long cumulative = c.get(h + "_latency_us_le_" + bound);
                if (cumulative != null) {
                    assertTrue(cumulative >= previous, h + " le_" + bound + " not cumulative");
                    previous = cumulative;
                    last = cumulative;
                }
            }
            assertEquals(c.get(h + "_latency_us_count"), last, h + ": the last bucket holds every operation");
        }
    }
}
