/**
 * The ztp.ini of the demo device (fixtures/demo: its IDevID, the MASA CA as voucher trust anchor,
 * one USB stick, the simulated router running SimOS), shared by the quick-start demo
 * (scripts/demo.ts) and the footprint bench (bench/footprint.ts), which runs the same onboarding.
 * @module
 */
import { join } from 'node:path';

export interface DemoIniOptions {
  /** The fixtures/demo directory. */
  readonly fixtures: string;
  /** The directory searched for EN9. */
  readonly stick: string;
  readonly osVersion: string;
  readonly retryForever: boolean;
  readonly logLevel: 'info' | 'warn';
  /** Seconds between passes when retrying (bench: 1); unset: the agent's defaults. */
  readonly backoffSeconds?: number;
}

export function demoIni(o: DemoIniOptions): string {
  return [
    '[Startup]',
    'start: True',
    `retry_forever: ${o.retryForever ? 'True' : 'False'}`,
    '',
    '[Fetcher Priority]',
    'USB: 0',
    '',
    '[Device]',
    `idevid_cert: ${join(o.fixtures, 'pki', 'idevid.crt')}`,
    `idevid_key: ${join(o.fixtures, 'pki', 'idevid.key')}`,
    `voucher_trust_anchors: ${join(o.fixtures, 'pki', 'masa-ca.crt')}`,
    '',
    '[USB]',
    `mount_points: ${o.stick}`,
    '',
    '[Router]',
    'adapter: simulated',
    'root: router',
    'os_name: SimOS',
    `os_version: ${o.osVersion}`,
    'hw_model: demo-router',
    '',
    '[Agent]',
    'state_dir: state',
    `log_level: ${o.logLevel}`,
    ...(o.backoffSeconds === undefined
      ? []
      : [`backoff_initial_seconds: ${o.backoffSeconds}`, `backoff_max_seconds: ${o.backoffSeconds}`]),
    '',
  ].join('\n');
}
