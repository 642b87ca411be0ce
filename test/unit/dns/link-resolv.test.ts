/**
 * mDNS link checks (RFC 6762 §11: replies from another link are ignored) and resolv.conf
 * defaults for unicast DNS (servers, search domains, `[DNS] servers` syntax).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOnLink, queryAddress, type LinkAddress } from '../../../src/dns/link.ts';
import { parseResolvConf, parseServer } from '../../../src/dns/resolv-conf.ts';

const ADDRS: LinkAddress[] = [
  { family: 'IPv4', address: '192.0.2.10', prefix: 24 },
  { family: 'IPv6', address: '2001:db8:5::10', prefix: 64 },
  { family: 'IPv6', address: 'fe80::1234', prefix: 64 },
];

describe('mDNS link', () => {
  it('accepts sources in the interface subnets and IPv6 link-local; refuses others', () => {
    assert.equal(isOnLink(ADDRS, '192.0.2.77'), true);
    assert.equal(isOnLink(ADDRS, '::ffff:192.0.2.77'), true);
    assert.equal(isOnLink(ADDRS, '192.0.3.77'), false);
    assert.equal(isOnLink(ADDRS, '2001:db8:5::99'), true);
    assert.equal(isOnLink(ADDRS, '2001:db8:6::99'), false);
    assert.equal(isOnLink(ADDRS, 'fe80::99'), true);
    assert.equal(isOnLink(ADDRS, 'not-an-address'), false);
  });

  it('binds the first IPv4 address, or the IPv6 link-local one', () => {
    assert.equal(queryAddress(ADDRS, 4), '192.0.2.10');
    assert.equal(queryAddress(ADDRS, 6), 'fe80::1234');
    assert.equal(queryAddress([], 6), undefined);
  });
});

describe('resolv.conf', () => {
  it('reads nameservers and the last search/domain line', () => {
    assert.deepEqual(parseResolvConf('# c\nnameserver 192.0.2.53\nnameserver 2001:db8::53 ; x\ndomain a.test\nsearch b.test c.test.\n'),
      { servers: ['192.0.2.53', '2001:db8::53'], domains: ['b.test', 'c.test'] });
    assert.deepEqual(parseResolvConf(''), { servers: [], domains: [] });
  });

  it('parses [DNS] servers as host[:port] or [v6]:port', () => {
    assert.deepEqual(parseServer('192.0.2.53'), { host: '192.0.2.53', port: 53 });
    assert.deepEqual(parseServer('192.0.2.53:5353'), { host: '192.0.2.53', port: 5353 });
    assert.deepEqual(parseServer('[2001:db8::53]:5300'), { host: '2001:db8::53', port: 5300 });
    assert.deepEqual(parseServer('2001:db8::53'), { host: '2001:db8::53', port: 53 });
    assert.equal(parseServer('host:99999'), undefined);
    assert.equal(parseServer('host:0'), undefined);
  });
});
