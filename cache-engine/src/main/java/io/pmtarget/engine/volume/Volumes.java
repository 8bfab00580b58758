package io.pmtarget.engine.volume;

import java.io.IOException;
import java.util.Map;

/** Opens volumes. The one entry point of the engine for the server. */
public final class Volumes {

    private Volumes() {
    }

    /**
     * Opens (creating and formatting where the spec allows) the volume; recovers committed cache
     * contents and starts writeback.
     */
    public static Volume open(VolumeSpec spec) throws IOException {
        throw new UnsupportedOperationException("cache-engine volume not implemented yet");
    }

    /**
     * Checks dm-writecache option names and values without opening anything.
     *
     * @throws IllegalArgumentException with a message of the form {@code "key: problem"}
     */
    public static void validateOptions(Map<String, String> options) {
        throw new UnsupportedOperationException("option validation not implemented yet");
    }
}
