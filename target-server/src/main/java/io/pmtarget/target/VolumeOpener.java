package io.pmtarget.target;

import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeSpec;
import java.io.IOException;

/** Opens a volume; production uses {@code Volumes::open}, tests a fake. */
@FunctionalInterface
public interface VolumeOpener {

    Volume open(VolumeSpec spec) throws IOException;
}
