package io.pmtarget.target.admin;

import java.util.List;

/** Executes one admin command; runs on an admin thread (never a network event loop) and may block. */
@FunctionalInterface
public interface AdminHandler {

    /** @param args the words after the command; an unknown command or bad arguments give an error response */
    AdminResponse handle(String command, List<String> args);
}
