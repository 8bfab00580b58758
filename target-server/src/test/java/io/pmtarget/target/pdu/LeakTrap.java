package io.pmtarget.target.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Turns Netty's leak reports into test failures. Netty only logs leaks; this installs (before any
 * ByteBuf class is loaded, as a LauncherSessionListener) a leak detector factory whose detectors
 * run at PARANOID level and record every report. {@link Check} fails a test class whose buffers
 * leaked; {@code LeakTrapTest} proves the trap catches a deliberate leak.
 */
public final class LeakTrap implements LauncherSessionListener {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static volatile boolean installed;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        install();
    }

    static synchronized void install() {
        if (installed) {
            return;
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                    long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + ": " + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " (untraced)");
                    }
                };
            }
        });
        installed = true;
    }

    static boolean installed() {
        return installed;
    }

    /** Collects garbage and lets the detectors drain their queues; returns and clears the reports. */
    static List<String> collect() {
        for (int round = 0; round < 5; round++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            for (int i = 0; i < 16; i++) {
                // Each tracked allocation polls the detector's reference queue and reports leaks.
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
                ByteBuf heap = io.netty.buffer.Unpooled.buffer(16);
                heap.release();
            }
        }
        List<String> found = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return found;
    }

    /** Fails the test class when any buffer leaked while it ran. */
    public static final class Check implements AfterAllCallback {
        @Override
        public void afterAll(ExtensionContext context) {
            if (!installed) {
                throw new AssertionError("LeakTrap not installed before Netty loaded: leak check impossible");
            }
            List<String> leaks = collect();
            if (!leaks.isEmpty()) {
                throw new AssertionError(leaks.size() + " buffer leak(s) in " + context.getDisplayName() + ":\n"
                        + String.join("\n", leaks));
            }
        }
    }
}
