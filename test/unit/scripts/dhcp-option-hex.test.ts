/**
 * scripts/dhcp-option-hex.ts: the operator helper renders the RFC 8572 worked example exactly,
 * for every server format, and the CLI refuses URIs the device would ignore.
 * @module
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderOptionConfig } from '../../../scripts/dhcp-option-hex.ts';

const SCRIPT = join(import.meta.dirname, '..', '..', '..', 'scripts', 'dhcp-option-hex.ts');
const WORKED =
  '001d68747470733a2f2f737a74702e6578616d706c652e636f6d3a38343433001568747470733a2f2f5b323030313a6462383a3a315d';
const URIS = ['https://sztp.example.com:8443', 'https://[2001:db8::1]'];

describe('dhcp-option-hex', () => {
  it('renders the §2.6 worked example for each format', () => {
    assert.equal(renderOptionConfig(URIS, 'hex'), `${WORKED}\n`);
    const colon = WORKED.match(/../g)!.join(':');
    assert.match(renderOptionConfig(URIS, 'dnsmasq'), new RegExp(`^dhcp-option=143,${colon}$`, 'm'));
    assert.match(renderOptionConfig(URIS, 'dnsmasq'), new RegExp(`^dhcp-option=option6:136,${colon}$`, 'm'));
    assert.match(renderOptionConfig(URIS, 'isc'), new RegExp(`^option sztp-redirect ${colon};$`, 'm'));
    assert.match(renderOptionConfig(URIS, 'kea'), new RegExp(`"data": "${WORKED}"`));
    assert.match(renderOptionConfig(URIS, 'all'), /^54 octets/);
  });

  it('the CLI refuses http:// and path URIs with exit 2', () => {
    for (const bad of ['http://192.0.2.1', 'https://192.0.2.1/restconf']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, bad], { encoding: 'utf8' });
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, new RegExp(bad.replace(/[/.]/g, '\\$&')));
    }
    const ok = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, '--format', 'hex', ...URIS], {
      encoding: 'utf8',
    });
    assert.equal(ok.stdout, `${WORKED}\n`);
  });
});
