/**
 * What the image scenarios share: the onboarding content (a SimOS 2.0 boot image, pre-script,
 * configuration, post-script; each script appends one line to /var/lib/simos/scripts.log), the
 * checks made on a guest after it powered off, and the evidence printed when a check fails (the
 * serial log and the guest's `sztp-agent status --json`, run on the state read back from it).
 * @module
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onboardingJson } from '../support/pki.ts';
import { REPO } from './build.ts';

export const CONFIG = 'hostname sztp-image-router\ninterface eth0 description onboarded\n';
export const NEW_VERSION = '2.0';
export const IMAGE_NAME = `simos-${NEW_VERSION}.img`;
export const IMAGE = `SIMOS-IMAGE os-name=SimOS os-version=${NEW_VERSION}\n${'simos payload\n'.repeat(4096)}`;

const script = (kind: string): string =>
  `#!/bin/sh\necho "${kind} os-version=$(cat /etc/simos/os-version)" >> /var/lib/simos/scripts.log\n`;
const colonHex = (b: Buffer): string => b.toString('hex').match(/../g)?.join(':') ?? '';

/** The onboarding information of every scenario, with the boot image at `downloadUri`. */
export function onboarding(downloadUri: string): Record<string, unknown> {
  return onboardingJson({
    bootImage: {
      'os-name': 'SimOS',
      'os-version': NEW_VERSION,
      'download-uri': [downloadUri],
      'image-verification': [
        {
          'hash-algorithm': 'ietf-sztp-conveyed-info:sha-256',
          'hash-value': colonHex(createHash('sha256').update(IMAGE).digest()),
        },
      ],
    },
    preScript: script('pre'),
    configuration: CONFIG,
    configurationHandling: 'replace',
    postScript: script('post'),
  });
}

/** Writes the boot image into `dir/images/`. */
export function writeImage(dir: string): string {
  mkdirSync(join(dir, 'images'), { recursive: true });
  writeFileSync(join(dir, 'images', IMAGE_NAME), IMAGE);
  return join(dir, 'images');
}

export interface GuestOutcome {
  readonly serial: string;
  readonly kernelBoots: number;
  /** `SIMOS-BOOT os-version=X` lines in boot order. */
  readonly simosBoots: readonly string[];
  readonly state: { phase?: string; events?: { progressType: string }[] } | undefined;
  readonly osVersion: string | undefined;
  readonly runningConfig: string | undefined;
  readonly scriptsLog: string | undefined;
}

export function outcome(serial: string, read: (path: string) => string | undefined): GuestOutcome {
  const stateText = read('/var/lib/sztp-agent/state.json');
  let state: GuestOutcome['state'];
  try {
    state = stateText === undefined ? undefined : (JSON.parse(stateText) as GuestOutcome['state']);
  } catch {
    state = undefined; // cut short by a kill: the checks report it
  }
  return {
    serial,
    kernelBoots: (serial.match(/Linux version \d/g) ?? []).length,
    simosBoots: [...serial.matchAll(/SIMOS-BOOT os-version=(\S+)/g)].map((m) => m[1] ?? ''),
    state,
    osVersion: read('/etc/simos/os-version')?.trim(),
    runningConfig: read('/etc/simos/running-config'),
    scriptsLog: read('/var/lib/simos/scripts.log'),
  };
}

/** `sztp-agent status --json` over a state directory read back from a guest. */
export function statusJson(stateDir: string, dir: string): string {
  const ini = join(dir, 'status.ini');
  writeFileSync(ini, `[Agent]\nstate_dir: ${stateDir}\n`);
  try {
    return execFileSync(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'status', '--config', ini, '--json'],
      { cwd: REPO, encoding: 'utf8' },
    );
  } catch (err) {
    return `status --json failed: ${String(err)}`;
  }
}
