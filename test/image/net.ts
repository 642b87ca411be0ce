/**
 * The network of the image test's DHCP scenarios, all inside namespaces the test creates and
 * deletes: the DHCP lab's server namespace (dnsmasq, the test bootstrap server on 192.0.2.1) and
 * its client namespace, which here is a switch: a bridge joining the lab's veth end and the tap
 * that QEMU's NIC uses (QEMU runs inside that namespace). Nothing touches the host's network.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createLab, waitFor, type Lab } from '../system/dhcp-lab.ts';
import { REPO } from './build.ts';

export const TAP = 'sztptap0';
const BRIDGE = 'sztpbr0';
const SERVER_CLI = [process.execPath, '--import', 'tsx', join(REPO, 'test', 'support', 'bootstrap-server-cli.ts')];

/** A DHCP lab whose client namespace bridges the veth to a tap for QEMU. */
export function createGuestLab(): Lab {
  const lab = createLab();
  try {
    const inCli = (...argv: string[]): void => {
      execFileSync('ip', ['netns', 'exec', lab.cli, ...argv], { stdio: 'ignore' });
    };
    inCli('ip', 'link', 'add', BRIDGE, 'type', 'bridge');
    inCli('ip', 'link', 'set', lab.cliIf, 'master', BRIDGE);
    inCli('ip', 'tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    inCli('ip', 'link', 'set', TAP, 'master', BRIDGE);
    inCli('ip', 'link', 'set', TAP, 'up');
    inCli('ip', 'link', 'set', BRIDGE, 'up');
  } catch (err) {
    void lab.close();
    throw err;
  }
  return lab;
}

export interface ServerLog {
  readonly lines: () => string[];
  /** `progress-type` of each report-progress, in arrival order. */
  readonly progress: () => string[];
}

/** Starts the test bootstrap server (mutual TLS, --log) on port 8443 of 192.0.2.1 and 2001:db8:1::1 in the server namespace. */
export async function startServer(
  lab: Lab,
  o: { dir: string; images: string; cert: string; key: string; clientCa: string },
): Promise<ServerLog> {
  const server = lab.spawnIn(lab.srv, [
    ...SERVER_CLI,
    '--host',
    '::',
    '--port',
    '8443',
    '--dir',
    o.dir,
    '--images',
    o.images,
    '--cert',
    o.cert,
    '--key',
    o.key,
    '--client-ca',
    o.clientCa,
    '--log',
  ]);
  if (
    !(await waitFor(() => server.output().includes('listening') || server.exitCode !== null, 30_000)) ||
    server.exitCode !== null
  ) {
    throw new Error(`bootstrap server did not start: ${server.output()}`);
  }
  const lines = (): string[] =>
    server
      .output()
      .split('\n')
      .filter((l) => /^(GET|POST|PUT|HEAD) /.test(l));
  return {
    lines,
    progress: () =>
      lines()
        .filter((l) => l.includes('report-progress'))
        .map((l) => /"progress-type":"([^"]+)"/.exec(l)?.[1] ?? '?'),
  };
}
