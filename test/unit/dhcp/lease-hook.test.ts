/**
 * `[DHCP] source = lease-file | hook`: dhclient lease files (v4 `lease {}`, v6 `lease6 {}`,
 * colon hex and quoted-string values), hook env files (dhclient `new_sztp_redirect`,
 * `new_dhcp6_sztp_redirect`, udhcpc `opt143`), real files in a temp dir, and coded errors.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import { decodeDhclientValue, findRedirectInLeases, readRedirectFromLeaseFiles } from '../../../src/dhcp/lease-file.ts';
import { findRedirectInEnv, readRedirectFromHook } from '../../../src/dhcp/hook-env.ts';
import { encodeUriList, parseUriList } from '../../../src/dhcp/uri-list.ts';

const LIST = encodeUriList(['https://192.0.2.1:8443', 'https://sztp.example.test:8443']);
const colon = (b: Uint8Array): string => [...b].map((x) => x.toString(16)).join(':');
const dir = mkdtempSync(join(tmpdir(), 'sztp-lease-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LEASES = `
lease {
  interface "eth1";
  fixed-address 192.0.2.120;
  option sztp-redirect 0:1:2;
  option domain-name-servers 192.0.2.53,192.0.2.54;
}
lease {
  interface "eth0";
  fixed-address 192.0.2.116;
  option subnet-mask 255.255.255.0;
  option sztp-redirect ${colon(encodeUriList(['https://192.0.2.9']))};
  option domain-name "example.test";
  renew 4 2026/11/26 22:00:00;
}
lease {
  interface "eth0";
  fixed-address 192.0.2.117;
  option sztp-redirect ${colon(LIST)};
  option domain-name "a;b{c}";
}
lease6 {
  interface "eth0";
  ia-na 1d:c5:5e:84 { iaaddr 2001:db8:1::1c5 { preferred-life 3600; } }
  option dhcp6.sztp-redirect ${colon(encodeUriList(['https://[2001:db8:1::1]:8443']))};
}
`;

describe('dhclient lease files', () => {
  it('takes the last v4 lease of the interface (newest) and decodes colon hex', () => {
    const v = findRedirectInLeases(LEASES, 'eth0', 4)!;
    assert.deepEqual(v, LIST);
  });

  it('reads the v6 lease6 block', () => {
    const v = findRedirectInLeases(LEASES, 'eth0', 6)!;
    assert.deepEqual(parseUriList(v, 136).uris.map((u) => u.host), ['2001:db8:1::1']);
    assert.equal(findRedirectInLeases(LEASES, 'eth9', 4), undefined);
  });

  it('decodes dhclient quoted strings with escapes (plain-text servers)', () => {
    assert.deepEqual(decodeDhclientValue('"https://192.0.2.1\\072x\\"y\\\\"'), new TextEncoder().encode('https://192.0.2.1:x"y\\'));
    assert.deepEqual(decodeDhclientValue('0:16:68'), Uint8Array.of(0, 0x16, 0x68));
    assert.deepEqual(decodeDhclientValue('001668'), Uint8Array.of(0, 0x16, 0x68));
    assert.throws(() => decodeDhclientValue('"open'), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
    assert.throws(() => decodeDhclientValue('zz:1'), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
  });

  it('reads real files in order, skipping unreadable ones; coded errors otherwise', async () => {
    const f = join(dir, 'dhclient.leases');
    writeFileSync(f, LEASES);
    const got = await readRedirectFromLeaseFiles([join(dir, 'missing'), f], 'eth0', 4);
    assert.equal(got.file, f);
    assert.deepEqual(got.value, LIST);
    await assert.rejects(readRedirectFromLeaseFiles([join(dir, 'missing')], 'eth0', 4), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
    await assert.rejects(readRedirectFromLeaseFiles([f], 'eth7', 4), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
  });

  it('property: arbitrary text never crashes the lease parser', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      try {
        findRedirectInLeases(`lease { interface "eth0"; option sztp-redirect ${text}; }\n${text}`, 'eth0', 4);
      } catch (err) {
        assert.ok(isSztpError(err));
      }
    }));
  });
});

describe('hook environment files', () => {
  it('dhclient new_sztp_redirect and new_dhcp6_sztp_redirect', () => {
    const env = `reason=BOUND\ninterface=eth0\nnew_sztp_redirect=${colon(LIST)}\nnew_dhcp6_sztp_redirect='${colon(encodeUriList(['https://[2001:db8::1]']))}'\n`;
    assert.deepEqual(findRedirectInEnv(env, 4), LIST);
    assert.deepEqual(parseUriList(findRedirectInEnv(env, 6)!, 136).uris[0]?.host, '2001:db8::1');
  });

  it('udhcpc opt143 plain hex, and dhclient raw text (plain-text servers)', () => {
    assert.deepEqual(findRedirectInEnv(`opt143=${Buffer.from(LIST).toString('hex')}`, 4), LIST);
    const v = findRedirectInEnv('new_sztp_redirect=https://192.0.2.1:8443', 4)!;
    assert.equal(parseUriList(v).form, 'plain-text');
  });

  it('reads <hookDir>/<if>.env; missing file or variable → coded errors', async () => {
    writeFileSync(join(dir, 'eth0.env'), `export opt143=${Buffer.from(LIST).toString('hex')}\n`);
    writeFileSync(join(dir, 'eth1.env'), 'reason=BOUND\n');
    assert.deepEqual((await readRedirectFromHook(dir, 'eth0', 4)).value, LIST);
    await assert.rejects(readRedirectFromHook(dir, 'eth1', 4), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
    await assert.rejects(readRedirectFromHook(dir, 'eth2', 4), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
  });
});
