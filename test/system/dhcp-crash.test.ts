/**
 * A SIGKILLed agent's network changes are undone by the next start (issue 12, item 12; root only).
 * In a server namespace dnsmasq hands out a lease with option 143 pointing at a server that
 * accepts TCP and never answers, so the agent, in the client namespace on an interface that was
 * administratively down, holds the interface mid-fetch: link set up, leased address, default
 * route. The agent process is killed with SIGKILL there (no cleanup runs). dnsmasq is stopped,
 * and the next `run --once` undoes the journalled changes before anything else: the interface ends
 * as it was found (down, no address, no route of ours), even though its own DHCP attempt gets no
 * answer. Namespaces are unique per run (test/system/dhcp-lab.ts); everything is removed in `finally`.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeUriList } from '../../src/dhcp/uri-list.ts';
import { makeTestPki, ztpIni } from '../support/pki.ts';
import { createLab, haveCommand, isRoot, startDnsmasq, waitFor } from './dhcp-lab.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = [process.execPath, '--import', 'tsx', join(ROOT, 'src', 'cli.ts')];
const skip = !isRoot() ? 'needs root (network namespaces)' : !haveCommand('dnsmasq') ? 'dnsmasq not installed' : false;
/** Accepts connections and never answers: the agent stays inside the fetch. */
const TARPIT = "require('node:net').createServer(() => {}).listen(8443, '0.0.0.0', () => console.log('listening'))";

describe('network changes of a SIGKILLed agent (DHCP, dnsmasq, network namespaces)', { skip }, () => {
  it('the next start undoes the leased address, the default route and the link it set up', async () => {
    const lab = createLab();
    try {
      const pki = makeTestPki(join(lab.dir, 'pki'));
      const tarpit = lab.spawnIn(lab.srv, [process.execPath, '-e', TARPIT]);
      assert.ok(await waitFor(() => tarpit.output().includes('listening'), 10_000), tarpit.output());
      const dnsmasq = await startDnsmasq(lab, { opt143: encodeUriList(['https://192.0.2.1:8443']) });
      const stateDir = join(lab.dir, 'state');
      const ini = join(lab.dir, 'ztp.ini');
      writeFileSync(
        ini,
        ztpIni(pki, stateDir, {
          'Fetcher Priority': { Mgmt4: '0' },
          Interfaces: { Mgmt: lab.cliIf },
          DHCP: { source: 'client', timeout_seconds: '3' },
          Bootstrap: { nonce: 'False', connect_timeout_seconds: '5', response_timeout_seconds: '60' },
          Router: {
            adapter: 'simulated',
            root: join(lab.dir, 'router'),
            os_name: 'SimOS',
            os_version: '1.0',
            hw_model: 'sim-1',
          },
        }),
      );
      lab.ip(lab.cli, 'link', 'set', lab.cliIf, 'down');
      const addresses = (): string =>
        lab.ip(lab.cli, '-o', '-4', 'addr', 'show', 'dev', lab.cliIf, 'scope', 'global').trim();
      const defaultRoute = (): string => lab.ip(lab.cli, '-4', 'route', 'show', 'default').trim();
      const linkUp = (): boolean =>
        /<[^>]*\bUP\b[^>]*>/.test(lab.ip(lab.cli, '-o', 'link', 'show', 'dev', lab.cliIf).replace(/@\S+/, ''));

      const agent = lab.spawnIn(lab.cli, [...CLI, 'run', '--config', ini, '--once']);
      assert.ok(
        await waitFor(() => defaultRoute() !== '' && agent.output().includes('following untrusted redirect'), 30_000),
        `the agent holds the interface mid-fetch:\n${agent.output()}`,
      );
      await new Promise((r) => setTimeout(r, 300)); // inside the exchange with the silent server
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGKILL');
      await exited;
      assert.equal(agent.signalCode, 'SIGKILL');
      assert.match(addresses(), /192\.0\.2\.1\d\d\//, 'the kill left the leased address');
      assert.match(defaultRoute(), /via 192\.0\.2\.1/, 'and the default route');
      assert.ok(linkUp(), 'and the link up');
      const journal =
        (JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { network?: { argv: string[] }[] })
          .network ?? [];
      assert.deepEqual(
        journal.map((r) => r.argv.slice(0, 3).join(' ')),
        ['link set dev', '-4 addr del', '-4 route del'],
        'each change journalled (the broadcast route was undone by the fetcher already)',
      );

      dnsmasq.kill('SIGTERM'); // the next start's own DHCP attempt gets no answer: only the journal can restore the interface
      await new Promise((r) => dnsmasq.once('exit', r));
      const next = await lab.run(lab.cli, [...CLI, 'run', '--config', ini, '--once'], 60_000);
      assert.equal(next.code, 1, `${next.stdout}\n${next.stderr}`);
      assert.equal(addresses(), '', `the leased address is gone\n${next.stderr}`);
      assert.equal(defaultRoute(), '', 'the default route is gone');
      assert.equal(
        lab.ip(lab.cli, '-4', 'route', 'show', '255.255.255.255').trim(),
        '',
        'no limited-broadcast route left',
      );
      assert.equal(linkUp(), false, 'the link is down again, as found');
      assert.match(next.stderr, /undid a network change a previous agent left/);
      const after = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { network?: unknown };
      assert.equal(after.network, undefined, 'the journal is empty');
    } finally {
      await lab.close();
    }
  });
});
