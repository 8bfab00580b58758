package io.pmtarget.target.scsi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RangeLockTest {

    @Test
    void tryLockSharedDeclinesOnlyWhileAStripeIsHeldExclusiveAndHoldsNothingThen() throws Exception {
        RangeLock lock = new RangeLock();
        long shared = lock.tryLockShared(0, 1);
        assertNotEquals(RangeLock.BUSY, shared, "shared holders do not exclude each other");
        assertNotEquals(RangeLock.BUSY, lock.tryLockShared(0, 1));
        lock.unlockShared(shared);
        lock.unlockShared(shared);

        // Another thread holds chunk 2 (LBAs 256..383) exclusive, as COMPARE AND WRITE does.
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Long> held = new CompletableFuture<>();
        Thread cw = new Thread(() -> {
            long m = lock.lockExclusive(300, 1);
            held.complete(m);
            release.join();
            lock.unlockExclusive(m);
        });
        cw.start();
        held.get(10, TimeUnit.SECONDS);
        // A range covering chunks 0..2: stripes 0 and 1 are free, stripe 2 is not.
        assertEquals(RangeLock.BUSY, lock.tryLockShared(0, 3 * RangeLock.CHUNK_BLOCKS));
        long other = lock.tryLockShared(0, 2 * RangeLock.CHUNK_BLOCKS);
        assertEquals(0b11L, other, "the declined attempt left stripes 0 and 1 unheld");
        lock.unlockShared(other);
        // Had the failed attempt leaked a shared hold on stripe 0, this exclusive lock would hang.
        CompletableFuture<Void> exclusive = CompletableFuture.runAsync(() -> lock.unlockExclusive(lock.lockExclusive(0, 1)));
        exclusive.get(10, TimeUnit.SECONDS);
        release.complete(null);
        cw.join(10_000);
        assertNotEquals(RangeLock.BUSY, lock.tryLockShared(300, 1));
    }
}
