package io.pmtarget.target.login;

import java.util.Objects;

/** A network portal (address and TCP port) reported in SendTargets TargetAddress values. */
public record Portal(String host, int port) {
    public Portal {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty() || host.indexOf(',') >= 0 || host.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("bad portal host: '" + host + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("portal port out of range 1..65535: " + port);
        }
    }

    /** RFC 7143 13.8 TargetAddress syntax: IPv6 literals in brackets, then :port,tpgt. */
    public String targetAddress(int tpgt) {
        boolean ipv6 = host.indexOf(':') >= 0 && !host.startsWith("[");
        return (ipv6 ? "[" + host + "]" : host) + ":" + port + "," + tpgt;
    }
}
