/**
 * The `frr` preset of the command adapter: Linux with FRRouting (docs/command-adapter.md).
 * Merge = `vtysh -f`, replace and restore = FRR's reload tool (`frr-reload.py --reload`, Debian
 * package `frr-pythontools`, which computes and applies the delta to the running daemons),
 * snapshot = `show running-config no-header`, check = `vtysh -C -f` (dry run). The `vtysh` and
 * `frr_reload` macros take the socket/config directory options so the same preset drives FRR in a
 * network namespace with a private path space.
 * @module
 */
import { COMMAND_BASE } from './base.ts';
import type { CommandPreset } from '../command-settings.ts';

export const FRR_PRESET: CommandPreset = {
  name: 'frr',
  macros: [
    ['vtysh', 'vtysh'],
    ['frr_reload', '/usr/lib/frr/frr-reload.py --stdout'],
  ],
  settings: {
    ...COMMAND_BASE.settings,
    config_suffix: '.conf',
    commit_check: '{vtysh} -C -f {file}',
    commit_merge: '{vtysh} -f {file}',
    commit_replace: '{frr_reload} --reload {file}',
    snapshot: '{vtysh} -c "show running-config no-header"',
    restore: '{frr_reload} --reload {snapshot}',
    save: '{vtysh} -c "write memory"',
    reboot: 'systemctl reboot',
  },
};
