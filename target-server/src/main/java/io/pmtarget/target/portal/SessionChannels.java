package io.pmtarget.target.portal;

import io.netty.channel.Channel;
import io.pmtarget.target.login.InMemorySessionRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live connections by TSIH and CID, so that session reinstatement (RFC 7143 section 6.3.5)
 * can close the old session's connection. Closing only schedules {@code channel.close()}: the
 * registry calls us under its lock, on another connection's event loop.
 */
final class SessionChannels implements InMemorySessionRegistry.Closer {

    private final Map<Long, Channel> channels = new ConcurrentHashMap<>();

    private static long key(int tsih, int cid) {
        return ((long) tsih << 16) | cid;
    }

    void add(int tsih, int cid, Channel channel) {
        channels.put(key(tsih, cid), channel);
    }

    void remove(int tsih, int cid, Channel channel) {
        channels.remove(key(tsih, cid), channel);
    }

    @Override
    public void closeSession(int tsih) {
        channels.forEach((k, channel) -> {
            if ((int) (k >>> 16) == tsih) {
                channel.close();
            }
        });
    }

    @Override
    public void closeConnection(int tsih, int cid) {
        Channel channel = channels.get(key(tsih, cid));
        if (channel != null) {
            channel.close();
        }
    }
}
