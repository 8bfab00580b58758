package io.pmtarget.target.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A listening address, written {@code "127.0.0.1:3260"} or {@code "[::1]:3260"} in the config.
 * Port 0 asks the OS for a free port (tests); the server reports what it bound.
 */
public record Portal(String host, int port) {

    /** The IANA port for iSCSI (RFC 7143 section 13.4 / IANA "iscsi-target"). */
    public static final int ISCSI_PORT = 3260;

    public Portal {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
    }

    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    public boolean wildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    /** Parses {@code host:port} or {@code [v6]:port}; a missing port means 3260. */
    static Portal parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in IPv6 portal");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw new IllegalArgumentException("expected ':port' after ']'");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon >= 0 && text.indexOf(':') != colon) {
                throw new IllegalArgumentException("write IPv6 addresses as [addr]:port");
            }
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("empty host");
        }
        int portNumber;
        try {
            portNumber = port == null ? ISCSI_PORT : Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port '" + port + "' is not a number");
        }
        if (portNumber < 0 || portNumber > 65535) {
            throw new IllegalArgumentException("port " + portNumber + " is out of range 0..65535");
        }
        return new Portal(host, portNumber);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
