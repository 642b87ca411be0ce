/**
 * mDNS link checks (RFC 6762 §11: replies from another link are ignored).
 * @module
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOnLink, queryAddress, type LinkAddress } from '../../../src/dns/link.ts';

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
