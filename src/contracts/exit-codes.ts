/**
 * The process exit codes of the agent: what the daemon returns to its service manager and the CLI
 * to its caller (README "CLI"). 10 asks the service manager to let the reboot happen.
 * @module
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, reboot: 10 } as const;
