/**
 * `[DHCP] source = lease-file | hook | networkd`: dhclient lease files (names from dhclient.conf
 * declarations too), networkd lease files (one written by the real daemon), (v4 `lease {}`, v6 `lease6 {}`,
 * colon hex and quoted-string values), hook env files (dhclient `new_sztp_redirect`,
 * `new_dhcp6_sztp_redirect`, udhcpc `opt143`), real files in a temp dir, and coded errors.
 * @module
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { isSztpError } from '../../../src/errors.ts';
import {
  declaredRedirectNames,
  decodeDhclientValue,
  findRedirectInLeases,
  readRedirectFromLeaseFiles,
  redirectNames,
} from '../../../src/dhcp/lease-file.ts';
import { findRedirectInNetworkdLease, readRedirectFromNetworkd } from '../../../src/dhcp/networkd-lease.ts';
import { findRedirectInEnv, readRedirectFromHook } from '../../../src/dhcp/hook-env.ts';
import { encodeUriList, parseUriList } from '../../../src/dhcp/uri-list.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

const LIST = encodeUriList(['https://192.0.2.1:8443', 'https://sztp.example.test:8443']);
const colon = (b: Uint8Array): string => [...b].map((x) => x.toString(16)).join(':');
const dir = makeTempDir('lease');
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
    assert.deepEqual(
      parseUriList(v, 136).uris.map((u) => u.host),
      ['2001:db8:1::1'],
    );
    assert.equal(findRedirectInLeases(LEASES, 'eth9', 4), undefined);
  });

  it('decodes dhclient quoted strings with escapes (plain-text servers)', () => {
    assert.deepEqual(
      decodeDhclientValue('"https://192.0.2.1\\072x\\"y\\\\"'),
      new TextEncoder().encode('https://192.0.2.1:x"y\\'),
    );
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
    await assert.rejects(readRedirectFromLeaseFiles([join(dir, 'missing')], 'eth0', 4), {
      code: 'SZTP_ERR_DHCP_LEASE_SOURCE',
    });
    await assert.rejects(readRedirectFromLeaseFiles([f], 'eth7', 4), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
  });

  it('property: arbitrary text never crashes the lease parser', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        try {
          findRedirectInLeases(`lease { interface "eth0"; option sztp-redirect ${text}; }\n${text}`, 'eth0', 4);
        } catch (err) {
          assert.ok(isSztpError(err));
        }
      }),
    );
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
    assert.equal(parseUriList(v, 143, { acceptNonconforming: true }).form, 'plain-text');
    assert.throws(
      () => parseUriList(v),
      { code: 'SZTP_ERR_DHCP_NO_OPTION' },
      'plain text only behind accept_nonconforming_uris',
    );
  });

  it('reads <hookDir>/<if>.env; missing file or variable → coded errors', async () => {
    writeFileSync(join(dir, 'eth0.env'), `export opt143=${Buffer.from(LIST).toString('hex')}\n`);
    writeFileSync(join(dir, 'eth1.env'), 'reason=BOUND\n');
    assert.deepEqual((await readRedirectFromHook(dir, 'eth0', 4)).value, LIST);
    await assert.rejects(readRedirectFromHook(dir, 'eth1', 4), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
    await assert.rejects(readRedirectFromHook(dir, 'eth2', 4), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
  });
});

describe('dhclient.conf declarations name the option (any name, by code)', () => {
  const CONF = `# field configuration
option sztp-redirect-urls code 143 = string;   # the name seen in real dhclient.conf files
also request sztp-redirect-urls;
option dhcp6.sztp-redirect-v6 code 136 = string;
option dhcp.other-name code 143 = string;
option sztp-redirect code 224 = string;
option space vendor; option vendor.sztp code 143 = string;
# option commented-out code 143 = string;
`;

  it('collects the names declared for 143 (v4) and dhcp6.* 136 (v6); a default name redeclared for another code is dropped', () => {
    assert.deepEqual(declaredRedirectNames(CONF, 4), {
      redirect: ['sztp-redirect-urls', 'other-name'],
      other: ['sztp-redirect'],
    });
    assert.deepEqual(declaredRedirectNames(CONF, 6), { redirect: ['dhcp6.sztp-redirect-v6'], other: [] });
    assert.deepEqual(redirectNames(4, declaredRedirectNames(CONF, 4)), ['sztp-redirect-urls', 'other-name']);
    assert.deepEqual(redirectNames(6, declaredRedirectNames(CONF, 6)), [
      'dhcp6.sztp-redirect',
      'sztp-redirect',
      'dhcp6.sztp-redirect-v6',
    ]);
  });

  it('a lease under a declared name is read only when dhclient_conf declares it', async () => {
    const conf = join(dir, 'field-dhclient.conf');
    writeFileSync(conf, CONF);
    const leases = join(dir, 'field.leases');
    writeFileSync(
      leases,
      `lease {\n  interface "eth0";\n  option sztp-redirect-urls ${colon(LIST)};\n  option sztp-redirect 0:1:2;\n}\nlease6 {\n  interface "eth0";\n  option dhcp6.sztp-redirect-v6 ${colon(LIST)};\n}\n`,
    );
    assert.deepEqual(
      (await readRedirectFromLeaseFiles([leases], 'eth0', 4, [join(dir, 'absent.conf'), conf])).value,
      LIST,
    );
    assert.deepEqual((await readRedirectFromLeaseFiles([leases], 'eth0', 6, [conf])).value, LIST);
    // Without the declarations the option is unknown; `sztp-redirect` (0:1:2) would be misread if not excluded.
    assert.deepEqual((await readRedirectFromLeaseFiles([leases], 'eth0', 4, [])).value, Uint8Array.of(0, 1, 2));
    await assert.rejects(readRedirectFromLeaseFiles([leases], 'eth0', 6, []), { code: 'SZTP_ERR_DHCP_NO_OPTION' });
  });
});

describe('systemd-networkd lease files', () => {
  // Written by the real systemd-networkd 252 in a network namespace (dnsmasq sending option 143 and a
  // copy in site-private option 224; the .network had RequestOptions=143): 143 is not stored.
  const REAL = readFileSync(
    join(import.meta.dirname, '..', '..', '..', 'fixtures', 'dhcp', 'networkd-252-lease'),
    'utf8',
  );

  it('reads the site-private copy named by networkd_option; OPTION_143 when present; nothing without them', () => {
    assert.equal(parseUriList(findRedirectInNetworkdLease(REAL, 224)!).uris[0]?.host, '192.0.2.1');
    assert.equal(findRedirectInNetworkdLease(REAL, undefined), undefined);
    assert.equal(findRedirectInNetworkdLease(REAL, 225), undefined);
    assert.deepEqual(
      findRedirectInNetworkdLease(`ADDRESS=192.0.2.9\nOPTION_143=${Buffer.from(LIST).toString('hex')}\n`, undefined),
      LIST,
    );
    assert.throws(() => findRedirectInNetworkdLease('OPTION_224=zz\n', 224), { code: 'SZTP_ERR_DHCP_LEASE_SOURCE' });
  });

  it('directory entries are read as <dir>/<ifindex>, files as they are; coded errors', async () => {
    const leasesDir = join(dir, 'netif-leases');
    mkdirSync(leasesDir, { recursive: true });
    writeFileSync(join(leasesDir, '5'), REAL);
    const ifindex = (): Promise<number> => Promise.resolve(5);
    const got = await readRedirectFromNetworkd([join(dir, 'absent'), leasesDir], 'eth0', 4, 224, { ifindex });
    assert.equal(got.file, join(leasesDir, '5'));
    assert.equal((await readRedirectFromNetworkd([join(leasesDir, '5')], 'eth0', 4, 224)).file, join(leasesDir, '5'));
    await assert.rejects(
      readRedirectFromNetworkd([leasesDir], 'eth0', 4, undefined, { ifindex }),
      (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_DHCP_NO_OPTION' && /networkd_option/.test(e.message),
    );
    await assert.rejects(readRedirectFromNetworkd([join(dir, 'absent')], 'eth0', 4, 224), {
      code: 'SZTP_ERR_DHCP_LEASE_SOURCE',
    });
    await assert.rejects(readRedirectFromNetworkd([leasesDir], 'eth0', 6, 224, { ifindex }), {
      code: 'SZTP_ERR_DHCP_NO_OPTION',
    });
  });
});
