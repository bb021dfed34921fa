/**
 * Pulumi's mocks hand `newResource` the inputs only; resource options (dependencies, additional
 * secret outputs) travel on the registration request the SDK sends to its monitor. Tests that
 * need them watch those requests here, in one place, because the monitor is reached through an
 * accessor the SDK does not export as API.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Calls `observe` with every resource registration request sent after this call, before the
 * mock monitor handles it. Call it after `pulumi.runtime.setMocks` (which installs the monitor).
 */
export function observeRegistrations(observe: (req: any) => void): void {
    const monitor = (pulumi.runtime as any).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        observe(req);
        return register(req, callback);
    };
}
