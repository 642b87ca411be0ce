/**
 * RFC 9646 CSR support over loopback (AT-53, AT-54): csr-support only to trusted servers, a 400
 * csr-request answered with a PKCS#10 CSR (checked by `openssl req -verify`) signed by a fresh key,
 * and a second csr-request making the first key be discarded.
 * @module
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { CsrKeyStore } from '../../src/bootstrap/csr.ts';
import { createServerFetcher } from '../../src/fetchers/server.ts';
import { fetchContext, makeHarness, type Harness } from '../support/bootstrap-harness.ts';
import {
  CSR_REQUEST as csrRequest,
  SIMPLE_ONBOARDING,
  signedReply,
  unsignedReply,
} from '../support/bootstrap-fixtures.ts';
import { startBootstrapServer, type TestBootstrapServer } from '../support/bootstrap-server.ts';
import { openssl } from '../support/pki.ts';

let h: Harness;
const servers: TestBootstrapServer[] = [];
before(() => {
  h = makeHarness();
});
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  h.cleanup();
});

async function server(): Promise<TestBootstrapServer> {
  const s = await startBootstrapServer({
    cert: readFileSync(h.pki.server.cert),
    key: readFileSync(h.pki.server.key),
    clientCa: readFileSync(h.pki.manufacturer.cert),
  });
  servers.push(s);
  return s;
}

function recordingStore(): CsrKeyStore & { log: string[]; keys: Uint8Array[] } {
  const log: string[] = [];
  const keys: Uint8Array[] = [];
  return {
    log,
    keys,
    save: (k) => {
      log.push('save');
      keys.push(k.privateKeyPkcs8);
      return Promise.resolve();
    },
    discard: () => {
      log.push('discard');
      return Promise.resolve();
    },
  };
}

/** `openssl req -verify` on the DER CSR; returns its subject and public key. */
function checkCsr(b64: string): { subject: string; pub: string } {
  const der = Buffer.from(b64, 'base64');
  const text = openssl(['req', '-inform', 'DER', '-verify', '-noout', '-subject'], der).toString();
  const pub = openssl(['req', '-inform', 'DER', '-pubkey', '-noout'], der).toString();
  return { subject: text, pub };
}

test('AT-53: a trusted server answering 400 csr-request gets a p10-csr in a second request; a second csr-request discards the first key', async () => {
  const s = await server();
  let round = 0;
  s.onGetBootstrappingData = (req) => {
    if (req.input?.['ietf-sztp-csr:csr-support'] !== undefined) return csrRequest;
    round += 1;
    return round === 1 ? csrRequest : unsignedReply(SIMPLE_ONBOARDING);
  };
  const store = recordingStore();
  const ctx = fetchContext(h, { bootstrap: { servers: [s.url], csrSupport: true }, client: { csrKeyStore: store } });
  const source = await createServerFetcher().fetch(ctx);
  assert.equal(source.trustedServer, true);
  const inputs = s.bootstrapRequests().map((r) => r.input ?? {});
  assert.equal(inputs.length, 3);
  assert.ok(inputs[0]?.['ietf-sztp-csr:csr-support'] !== undefined);
  assert.equal(inputs[0]?.['ietf-sztp-csr:p10-csr'], undefined);
  const first = checkCsr(String(inputs[1]?.['ietf-sztp-csr:p10-csr']));
  const second = checkCsr(String(inputs[2]?.['ietf-sztp-csr:p10-csr']));
  assert.equal(inputs[1]?.['ietf-sztp-csr:csr-support'], undefined);
  assert.match(first.subject, new RegExp(`serialNumber\\s*=\\s*${h.pki.serial}`));
  assert.notEqual(first.pub, second.pub, 'a fresh key per CSR');
  assert.deepEqual(store.log, ['save', 'discard', 'save']);
});

test('AT-53: a server that keeps asking for CSRs fails after two rounds (keys discarded)', async () => {
  const s = await server();
  s.onGetBootstrappingData = () => csrRequest;
  const store = recordingStore();
  const ctx = fetchContext(h, { bootstrap: { servers: [s.url], csrSupport: true }, client: { csrKeyStore: store } });
  await assert.rejects(createServerFetcher().fetch(ctx), { code: 'SZTP_ERR_SERVER_RESPONSE' });
  assert.deepEqual(store.log, ['save', 'discard', 'save', 'discard']);
});

test('AT-54: csr-support is never sent to a provisional server, even when enabled', async () => {
  const s = await server();
  s.onGetBootstrappingData = (req) => signedReply(h.pki, SIMPLE_ONBOARDING, { nonce: String(req.input?.nonce) });
  const ctx = fetchContext(h, {
    bootstrap: { csrSupport: true },
    device: { bootstrapTrustAnchors: undefined },
  } as never);
  await ctx.bootstrap.followRedirect({ bootstrapServers: [{ address: '127.0.0.1', port: s.port }] }, false, ctx, {
    fetcher: 'Mgmt4',
    description: 'dhcp',
  });
  assert.deepEqual(Object.keys(s.bootstrapRequests()[0]?.input ?? {}).sort(), ['nonce', 'signed-data-preferred']);
});
