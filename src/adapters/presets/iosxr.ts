/**
 * The `iosxr` preset of the command adapter: IOS XR's Linux shell, the way IOS XR ZTP scripts
 * work (docs/command-adapter.md). The ZTP helper library `/pkg/bin/ztp_helper.sh` defines the bash
 * functions `xrcmd` (run one exec-mode CLI command), `xrapply` (merge and commit a configuration
 * file) and `xrreplace` (replace the configuration with a file); the `xr` macro sources it and
 * calls the named function with the remaining argv: `bash -c 'source "$0" && "$@"' HELPER FN ARGS`.
 * @module
 */
import { COMMAND_BASE } from './base.ts';
import type { CommandPreset } from '../command-settings.ts';

const showVersion = (sedScript: string): string =>
  `bash -c 'source "$0" && xrcmd "show version" | sed -n "${sedScript}" | head -n 1' {ztp_helper}`;

export const IOSXR_PRESET: CommandPreset = {
  name: 'iosxr',
  macros: [
    ['ztp_helper', '/pkg/bin/ztp_helper.sh'],
    ['xr', `bash -c 'source "$0" && "$@"' {ztp_helper}`],
  ],
  settings: {
    ...COMMAND_BASE.settings,
    config_suffix: '.cfg',
    os_name: 'IOS-XR',
    identity_os_name: '',
    identity_os_version: showVersion('s/.*Version \\([0-9][^ ]*\\).*/\\1/p'),
    identity_hw_model: showVersion('s/^cisco \\([^ ]*\\) .*/\\1/p'),
    identity_serial: `bash -c 'source "$0" && xrcmd "show inventory" | sed -n "s/.*SN: *\\([^ ]*\\).*/\\1/p" | head -n 1' {ztp_helper}`,
    commit_merge: '{xr} xrapply {file}',
    commit_replace: '{xr} xrreplace {file}',
    snapshot: '{xr} xrcmd "show running-config"',
    restore: '{xr} xrreplace {snapshot}',
    install_image: '{xr} xrcmd "install replace {image} noprompt"',
    reboot: '{xr} xrcmd "reload location all noprompt"',
    ssh_host_keys: '',
  },
};
