package io.pmtarget.target.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT (Ctrl-C) run a graceful stop and let {@code serve} exit 0. A plain shutdown
 * hook would also stop the server, but the JVM then exits 143/130; handling the signals keeps the
 * exit status an honest "stopped as asked". sun.misc.Signal (module jdk.unsupported) is reached
 * by reflection so the build has no proprietary-API warnings; if it is missing, the shutdown hook
 * that serve also installs still stops the server.
 */
final class Signals {

    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /** @return true when the signal handlers are installed */
    static boolean onTerminate(Runnable stop) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Constructor<?> newSignal = signalClass.getConstructor(String.class);
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Method getName = signalClass.getMethod("getName");
            Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            LOG.info("received SIG{}: stopping", getName.invoke(args[0]));
                            // Never stop on the signal thread: close() waits for event loops and volumes.
                            Thread stopper = new Thread(stop, "pmtarget-stop");
                            stopper.setUncaughtExceptionHandler((t, e) ->
                                    LOG.error("stopping failed; the server may still be running", e));
                            stopper.start();
                            return null;
                        }
                        return method.getName().equals("toString") ? "pmtarget-stop-handler"
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                                : (Object) (proxy == args[0]);
                    });
            for (String name : new String[] {"TERM", "INT"}) {
                handle.invoke(null, newSignal.newInstance(name), handler);
            }
            return true;
        } catch (ReflectiveOperationException | LinkageError | IllegalArgumentException e) {
            Throwable cause = e instanceof InvocationTargetException ite ? ite.getCause() : e;
            LOG.warn("cannot handle SIGTERM/SIGINT ({}); stopping from the shutdown hook instead", cause.toString());
            return false;
        }
    }
}
