/**
 * The `sonic` preset of the command adapter (docs/command-adapter.md): configuration is a
 * config_db JSON document; merge = `config load -y FILE`, replace and restore = `config reload -y
 * FILE`, persist = `config save -y`, snapshot = `show runningconfiguration all`, images =
 * `sonic-installer install -y IMAGE`, factory reset = `config-setup factory`.
 * @module
 */
import { COMMAND_BASE } from './base.ts';
import type { CommandPreset } from '../command-settings.ts';

export const SONIC_PRESET: CommandPreset = {
  name: 'sonic',
  macros: [],
  settings: {
    ...COMMAND_BASE.settings,
    config_suffix: '.json',
    os_name: 'SONiC',
    identity_os_name: '',
    identity_os_version: 'sonic-cfggen -y /etc/sonic/sonic_version.yml -v build_version',
    identity_hw_model: 'sonic-cfggen -d -v DEVICE_METADATA.localhost.platform',
    identity_serial: 'decode-syseeprom -s',
    commit_merge: 'config load -y {file}',
    commit_replace: 'config reload -y {file}',
    save: 'config save -y',
    snapshot: 'show runningconfiguration all',
    restore: 'config reload -y {snapshot}',
    install_image: 'sonic-installer install -y {image}',
    reboot: 'reboot',
    factory_reset: 'config-setup factory',
  },
};
