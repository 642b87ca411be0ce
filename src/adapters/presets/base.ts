/**
 * The base preset of the command adapter (`adapter: command`, docs/command-adapter.md): identity
 * from uname and /etc/os-release, scripts run directly, SSH host keys from /etc/ssh. Every other
 * operation comes from `[Command Adapter]`. The frr, iosxr and sonic presets start from it.
 * @module
 */
import type { CommandPreset } from '../command-settings.ts';

/** Base defaults of the plain `command` adapter (a preset with no commits: the user supplies them). */
export const COMMAND_BASE: CommandPreset = {
  name: 'command',
  macros: [],
  settings: {
    identity_hw_model: 'uname -m',
    identity_os_name: `sh -c '. /etc/os-release && printf %s "$ID"'`,
    identity_os_version: `sh -c '. /etc/os-release && printf %s "$VERSION_ID"'`,
    run_script: '{script}',
    ssh_host_keys: `sh -c 'cat /etc/ssh/ssh_host_*_key.pub 2>/dev/null; exit 0'`,
  },
};
