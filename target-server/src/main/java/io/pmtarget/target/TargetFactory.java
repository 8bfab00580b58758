package io.pmtarget.target;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.target.config.TargetConfig;
import java.util.Map;

/**
 * Builds the object that serves one target's LUNs (the SCSI target) from its config and the
 * opened volumes. If the result is {@link AutoCloseable}, the server closes it at stop, after the
 * network is down and before the volumes are closed.
 *
 * @param <T> the target type, e.g. {@code io.pmtarget.target.scsi.ScsiTarget}
 */
@FunctionalInterface
public interface TargetFactory<T> {

    /**
     * @param volumes every opened volume by name; the target's LUNs name theirs in
     *                {@link TargetConfig#luns()} (each volume belongs to exactly one LUN)
     */
    T build(TargetConfig target, Map<String, Volume> volumes) throws Exception;
}
