/**
 * The emulator image under QEMU (root; `npm run test:image`): a Debian 12 guest whose systemd
 * starts the packaged unit, onboarding through the command adapter on SimOS, with a real guest
 * reboot between the boot image and the rest (RFC 8572 §5.6 step 3 and its resumption):
 * 1. USB: a FAT stick on an emulated xHCI controller, found by auto_mount (after settling);
 * 2. DHCPv4 option 143 from dnsmasq on a bridge inside a network namespace, an untrusted
 *    (provisional) bootstrap server with signed data, the boot image over HTTPS;
 * 3. the same with a trusted server (bootstrap_trust_anchors): progress reports in order, once
 *    each, across the reboot (RFC 8572 §5.6/§7.3);
 * 4. DHCPv6 option 136 (dnsmasq with router advertisements) to an untrusted server.
 * Every scenario asserts two kernel boots, the running version after the second, the phase and
 * the configuration, that each script ran exactly once, and what the server received. On failure
 * the serial log and the guest's `status --json` are printed.
 * @module
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import { rogueServerCert } from '../support/bootstrap-fixtures.ts';
import { makeSignedBundle, writeEn9 } from '../support/pki.ts';
import { startDnsmasq } from '../system/dhcp-lab.ts';
import { SERIAL, prepare, type Prepared } from './build.ts';
import { TAP, createGuestLab, startServer, type ServerLog } from './net.ts';
import {
  CONFIG,
  IMAGE_NAME,
  NEW_VERSION,
  onboarding,
  outcome,
  statusJson,
  writeImage,
  type GuestOutcome,
} from './scenario.ts';
import { boot, dumpFromDisk, kvmBoots, makeStick, readFromDisk, type VmOptions } from './vm.ts';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
/** One scenario: two boots under TCG take about a minute on an idle 2-core machine. */
const BOOT_TIMEOUT_MS = Number(process.env.SZTP_IMAGE_BOOT_TIMEOUT_MS ?? 360_000);

let img: Prepared;
let accel: VmOptions['accel'] = 'tcg';
let runs: string;

before(
  async () => {
    img = prepare();
    runs = mkdtempSync(join(img.work, 'runs-'));
    accel = (await kvmBoots(img.kernel, runs)) ? 'kvm' : 'tcg';
    process.stdout.write(`# image ${img.work} (build ${JSON.stringify(img.timings)}), accel ${accel}\n`);
  },
  { timeout: 1_800_000 },
);
after(() => {
  if (runs !== undefined) rmSync(runs, { recursive: true, force: true });
});

/** Boots a fresh copy of the disk; returns what the guest left on it. */
async function runGuest(
  name: string,
  o: Partial<VmOptions>,
): Promise<GuestOutcome & { dir: string; disk: string; wallSeconds: number }> {
  const dir = join(runs, name);
  mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'disk.raw');
  copyFileSync(img.disk, disk);
  const r = await boot({ kernel: img.kernel, initrd: img.initrd, disk, accel, timeoutMs: BOOT_TIMEOUT_MS, ...o });
  process.stdout.write(
    `# ${name}: QEMU exit ${String(r.code)}${r.timedOut ? ' (timed out, killed)' : ''} after ${r.wallSeconds.toFixed(1)} s\n`,
  );
  return { ...outcome(r.serial, (p) => readFromDisk(disk, p)), dir, disk, wallSeconds: r.wallSeconds };
}

/** Runs the checks; on failure prints the serial log and the guest's status --json, then fails. */
function withEvidence(g: { serial: string; dir: string; disk: string }, checks: () => void, server?: ServerLog): void {
  try {
    checks();
  } catch (err) {
    const state = join(g.dir, 'state');
    try {
      dumpFromDisk(g.disk, '/var/lib/sztp-agent', state);
    } catch {
      /* reported below */
    }
    process.stderr.write(
      `\n----- serial log -----\n${g.serial}\n----- guest status --json -----\n${statusJson(join(state, 'sztp-agent'), g.dir)}\n`,
    );
    if (server !== undefined)
      process.stderr.write(`----- bootstrap server requests -----\n${server.lines().join('\n')}\n`);
    throw err;
  }
}

/** Checks every scenario makes: two boots, SimOS 2.0 running, configuration, scripts once each. */
function assertOnboarded(g: GuestOutcome): void {
  assert.equal(g.kernelBoots, 2, 'two kernel boots (one real reboot)');
  assert.deepEqual(g.simosBoots, ['1.0', NEW_VERSION], 'SimOS 1.0, then the new image after the reboot');
  assert.equal(g.osVersion, NEW_VERSION);
  assert.equal(g.state?.phase, 'bootstrap-complete');
  assert.equal(g.runningConfig, CONFIG);
  assert.equal(
    g.scriptsLog,
    `pre os-version=${NEW_VERSION}\npost os-version=${NEW_VERSION}\n`,
    'each script ran exactly once, after the reboot',
  );
  assert.match(g.serial, /SZTP-AGENT-EXIT result=success code=exited status=10/);
  assert.match(g.serial, /SZTP-AGENT-EXIT result=success code=exited status=0/);
}

/** Scenarios 2-4: DHCPv4 option 143 or DHCPv6 option 136 → the bootstrap server, trusted or not. */
async function dhcpScenario(
  name: string,
  trusted: boolean,
  family: 4 | 6 = 4,
): Promise<{ g: GuestOutcome & { dir: string; disk: string }; server: ServerLog }> {
  const lab = createGuestLab();
  try {
    const replies = join(lab.dir, 'replies');
    const device = join(replies, SERIAL);
    mkdirSync(device, { recursive: true });
    const host = family === 4 ? '192.0.2.1' : '[2001:db8:1::1]';
    const b = makeSignedBundle(img.pki, onboarding(`https://${host}:8443/images/${IMAGE_NAME}`));
    writeFileSync(join(device, 'conveyed-information.cms'), b.conveyedInformation);
    writeFileSync(join(device, 'owner-certificate.cms'), b.ownerCertificate);
    writeFileSync(join(device, 'ownership-voucher.vcj'), b.ownershipVoucher);
    writeFileSync(join(device, 'reporting-level'), 'verbose\n');
    mkdirSync(join(lab.dir, 'rogue'));
    const tls = trusted ? img.pki.server : rogueServerCert(join(lab.dir, 'rogue')).server;
    const server = await startServer(lab, {
      dir: replies,
      images: writeImage(lab.dir),
      ...tls,
      clientCa: img.pki.manufacturer.cert,
    });
    // For DHCPv6 the DHCPv4 replies carry no option 143: Mgmt4 moves on and Mgmt6 gets option 136.
    await startDnsmasq(
      lab,
      family === 4
        ? { opt143: encodeUriList([`https://${host}:8443`]) }
        : { opt136: encodeUriList([`https://${host}:8443`]) },
    );
    const g = await runGuest(name, { net: { netns: lab.cli, tap: TAP } });
    return { g, server };
  } finally {
    await lab.close();
  }
}

describe('emulator image under QEMU', { skip }, () => {
  test(
    '1. USB stick: auto_mount, boot image, real reboot, resume, scripts, configuration, bootstrap-complete (RFC 8572 §4.1, §5.6; C-020, C-021, C-124)',
    { timeout: BOOT_TIMEOUT_MS + 60_000 },
    async () => {
      const stickDir = join(runs, 'stick');
      writeImage(stickDir);
      writeEn9(stickDir, makeSignedBundle(img.pki, onboarding(`file:///images/${IMAGE_NAME}`)));
      const stick = join(runs, 'usb.img');
      makeStick(stickDir, stick);
      const g = await runGuest('usb', { usbStick: stick });
      withEvidence(g, () => {
        assertOnboarded(g);
        assert.match(g.serial, /removable storage mounted read-only/);
        assert.equal(g.state?.events?.at(-1)?.progressType, 'bootstrap-complete');
      });
    },
  );
  test(
    '2. DHCPv4 option 143, untrusted server, signed data, boot image over HTTPS, reboot, bootstrap-complete (RFC 8572 §4.3, §5.6, §8.1; C-064, C-113, C-161)',
    { timeout: BOOT_TIMEOUT_MS + 120_000 },
    async () => {
      const { g, server } = await dhcpScenario('dhcp-untrusted', false);
      withEvidence(
        g,
        () => {
          assertOnboarded(g);
          assert.match(g.serial, /following untrusted redirect/);
          const gets = server.lines().filter((l) => l.includes('get-bootstrapping-data'));
          assert.equal(gets.length, 2, `one get-bootstrapping-data per boot:\n${server.lines().join('\n')}`);
          assert.ok(
            gets.every((l) => l.includes(`serial=${SERIAL} authorized=true`)),
            'the IDevID authenticated each request',
          );
          assert.equal(
            server.lines().filter((l) => l.startsWith(`GET /images/${IMAGE_NAME}`)).length,
            1,
            'the image was downloaded once, before the reboot',
          );
          assert.deepEqual(
            server.progress(),
            [],
            'no progress reports to a server the device cannot authenticate (RFC 8572 §5.6)',
          );
        },
        server,
      );
    },
  );

  test(
    '3. trusted server: progress reports in order, exactly once each, across the reboot (RFC 8572 §5.6, §7.3; C-111, C-122, C-124)',
    { timeout: BOOT_TIMEOUT_MS + 120_000 },
    async () => {
      const { g, server } = await dhcpScenario('dhcp-trusted', true);
      withEvidence(
        g,
        () => {
          assertOnboarded(g);
          assert.deepEqual(
            server.progress(),
            [
              'bootstrap-initiated',
              'boot-image-initiated',
              'boot-image-mismatch',
              'boot-image-installed-rebooting',
              'bootstrap-initiated',
              'boot-image-initiated',
              'boot-image-complete',
              'pre-script-initiated',
              'pre-script-complete',
              'config-initiated',
              'config-complete',
              // The guest's configuration leaves the SZTP flag on, so a trusted server is warned (C-128).
              'post-script-initiated',
              'post-script-complete',
              'bootstrap-warning',
              'bootstrap-complete',
            ],
            server.lines().join('\n'),
          );
        },
        server,
      );
    },
  );
  test(
    '4. DHCPv6 option 136 (dnsmasq RA + DHCPv6), untrusted server, signed data, reboot, bootstrap-complete (RFC 8572 §8.2; C-064, C-161)',
    { timeout: BOOT_TIMEOUT_MS + 120_000 },
    async () => {
      const { g, server } = await dhcpScenario('dhcp6-untrusted', false, 6);
      withEvidence(
        g,
        () => {
          assertOnboarded(g);
          assert.match(g.serial, /"fetcher":"Mgmt6"[^\n]*following untrusted redirect/);
          assert.equal(
            server.lines().filter((l) => l.includes('get-bootstrapping-data')).length,
            2,
            'one get-bootstrapping-data per boot',
          );
          assert.deepEqual(server.progress(), []);
        },
        server,
      );
    },
  );
});
