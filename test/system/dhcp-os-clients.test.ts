/**
 * `[DHCP] source = lease-file | hook` against the real OS DHCP clients (root only; each case is
 * skipped when its client is not installed): ISC dhclient with packaging/dhcp-hooks/
 * dhclient-sztp.conf writes its lease file and runs packaging/dhcp-hooks/dhclient-exit-hook;
 * busybox udhcpc runs packaging/dhcp-hooks/udhcpc-script. The fetcher then reads option 143 /
 * 136 from the lease file or the hook env file. dnsmasq serves the options in the server namespace.
 * @module
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import { createLab, haveCommand, isRoot, startDnsmasq, waitFor, waitLinkLocal, type Lab } from './dhcp-lab.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const HOOKS = join(ROOT, 'packaging', 'dhcp-hooks');
const PROBE = join(import.meta.dirname, 'dhcp-probe.ts');
const base = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
const V4 = ['https://192.0.2.1:8443', 'https://sztp.example.test'];
const V6 = ['https://[2001:db8:1::1]:8443'];

async function probe(
  lab: Lab,
  input: Record<string, unknown>,
): Promise<{ ok: boolean; code?: string; redirect?: { bootstrapServers: { address: string; port: number }[] } }> {
  const r = await lab.run(lab.cli, [
    process.execPath,
    '--import',
    'tsx',
    PROBE,
    JSON.stringify({ mgmt: lab.cliIf, timeoutSeconds: 5, ...input }),
  ]);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ok: boolean; code?: string };
}

/** dhclient with our config lines and a -sf script that only sources our exit hook. */
async function dhclient(lab: Lab, family: 4 | 6): Promise<{ leases: string; hookDir: string }> {
  const conf = join(lab.dir, 'dhclient.conf');
  writeFileSync(conf, readFileSync(join(HOOKS, 'dhclient-sztp.conf')));
  const hookDir = join(lab.dir, 'hook');
  const script = join(lab.dir, 'dhclient-script');
  writeFileSync(script, `#!/bin/sh\nSZTP_HOOK_DIR='${hookDir}'\n. '${join(HOOKS, 'dhclient-exit-hook')}'\nexit 0\n`);
  chmodSync(script, 0o755);
  const leases = join(lab.dir, `dhclient${family}.leases`);
  const args = family === 4 ? ['-4'] : ['-6', '-S'];
  if (family === 6) await waitLinkLocal(lab);
  lab.spawnIn(lab.cli, [
    'dhclient',
    ...args,
    '-d',
    '-v',
    '-cf',
    conf,
    '-lf',
    leases,
    '-pf',
    join(lab.dir, `dhclient${family}.pid`),
    '-sf',
    script,
    lab.cliIf,
  ]);
  const env = join(hookDir, `${lab.cliIf}.env`);
  assert.ok(await waitFor(() => existsSync(env), 20_000), 'hook env file written');
  return { leases, hookDir };
}

describe('OS DHCP clients feeding the agent', { skip: base }, () => {
  it(
    'dhclient -4: lease file and exit hook both yield option 143',
    { skip: !haveCommand('dhclient') && 'dhclient not installed' },
    async () => {
      const lab = createLab();
      try {
        await startDnsmasq(lab, { opt143: encodeUriList(V4) });
        const { leases, hookDir } = await dhclient(lab, 4);
        await waitFor(() => existsSync(leases) && readFileSync(leases, 'utf8').includes('sztp-redirect'), 10_000);
        for (const input of [
          { source: 'lease-file', leaseFiles: [leases] },
          { source: 'hook', hookDir },
        ]) {
          const r = await probe(lab, { fetcher: 'Mgmt4', ...input });
          assert.equal(r.ok, true, `${input.source}: ${JSON.stringify(r)}`);
          assert.deepEqual(r.redirect?.bootstrapServers, [
            { address: '192.0.2.1', port: 8443 },
            { address: 'sztp.example.test', port: 443 },
          ]);
        }
      } finally {
        await lab.close();
      }
    },
  );

  it(
    'dhclient -6 -S (stateless): exit hook yields option 136',
    { skip: !haveCommand('dhclient') && 'dhclient not installed' },
    async () => {
      const lab = createLab();
      try {
        await startDnsmasq(lab, { opt136: encodeUriList(V6) });
        const { hookDir } = await dhclient(lab, 6);
        const r = await probe(lab, { fetcher: 'Mgmt6', source: 'hook', hookDir });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(r.redirect?.bootstrapServers, [{ address: '2001:db8:1::1', port: 8443 }]);
      } finally {
        await lab.close();
      }
    },
  );

  it(
    'busybox udhcpc -O 143: the udhcpc script yields option 143',
    { skip: !haveCommand('busybox') && 'busybox not installed' },
    async () => {
      const lab = createLab();
      try {
        await startDnsmasq(lab, { opt143: encodeUriList(V4) });
        const hookDir = join(lab.dir, 'hook');
        const u = await lab.run(
          lab.cli,
          [
            'busybox',
            'udhcpc',
            '-i',
            lab.cliIf,
            '-O',
            '143',
            '-n',
            '-q',
            '-f',
            '-t',
            '5',
            '-s',
            join(HOOKS, 'udhcpc-script'),
          ],
          30_000,
          { SZTP_HOOK_DIR: hookDir, SZTP_UDHCPC_CHAIN: '' },
        );
        assert.equal(u.code, 0, u.stderr);
        assert.match(readFileSync(join(hookDir, `${lab.cliIf}.env`), 'utf8'), /^opt143=0016/m);
        const r = await probe(lab, { fetcher: 'Mgmt4', source: 'hook', hookDir });
        assert.equal(r.ok, true, JSON.stringify(r));
        assert.deepEqual(r.redirect?.bootstrapServers, [
          { address: '192.0.2.1', port: 8443 },
          { address: 'sztp.example.test', port: 443 },
        ]);
      } finally {
        await lab.close();
      }
    },
  );
});
