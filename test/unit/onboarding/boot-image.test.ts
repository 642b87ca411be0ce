import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { executeBootImage, sha256File } from '../../../src/onboarding/boot-image.ts';
import type { StepContext } from '../../../src/onboarding/step-context.ts';
import type { OnboardingJournal } from '../../../src/state/types.ts';
import type { BootImage } from '../../../src/types.ts';
import { type Env, makeEnv, stepContext } from '../../support/onboarding-env.ts';

let env: Env | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const ctx = (e: Env, journal: OnboardingJournal): StepContext => stepContext(e, journal);

describe('boot-image step', () => {
  test('sha256File streams a file; undefined when unreadable', async () => {
    const e = (env = makeEnv());
    const p = join(e.dir, 'f');
    writeFileSync(p, 'abc');
    assert.equal(await sha256File(p), createHash('sha256').update('abc').digest('hex'));
    assert.equal(await sha256File(join(e.dir, 'missing')), undefined);
  });

  test('a kept image that no longer matches its hash is discarded and downloaded again', async () => {
    const e = (env = makeEnv());
    const src = join(e.dir, 'image.bin');
    writeFileSync(src, 'good image');
    const sha = createHash('sha256').update('good image').digest();
    mkdirSync(join(e.dir, 'state', 'images'), { recursive: true });
    const kept = join(e.dir, 'state', 'images', 'kept.img');
    writeFileSync(kept, 'tampered');
    const journal: OnboardingJournal = {
      digest: 'd',
      source: 's',
      startedAt: 't',
      completedSteps: [],
      bootImage: { sha256: sha.toString('hex'), path: kept, installAttempts: 0 },
    };
    await e.store.update((s) => ({ ...s, journal }));
    const image: BootImage = {
      osVersion: '2.0',
      downloadUris: [src],
      imageVerification: [{ hashAlgorithm: 'sha-256', hashValue: sha }],
    };
    assert.equal(
      await executeBootImage({ kind: 'boot-image', image, decision: 'install', basis: 'criteria' }, ctx(e, journal)),
      'reboot',
    );
    assert.equal(e.downloads.length, 1);
    const rec = (await e.store.read()).journal?.bootImage;
    assert.equal(rec?.installAttempts, 1);
    assert.ok(rec?.rebootRequestedAt !== undefined);
    assert.notEqual(rec.path, kept);
  });

  test('the download gets exactly the listed mirrors, the supported hashes, the size cap and the stick resolver', async () => {
    const e = (env = makeEnv({ maxImageBytes: 12345 }));
    const journal: OnboardingJournal = { digest: 'd', source: 's', startedAt: 't', completedSteps: [] };
    await e.store.update((s) => ({ ...s, journal }));
    const image: BootImage = {
      osName: 'X',
      downloadUris: ['https://a/i', 'file:///disk2:/i'],
      imageVerification: [
        { hashAlgorithm: 'sha-512', hashValue: new Uint8Array(64) },
        { hashAlgorithm: 'sha-384', hashValue: new Uint8Array(48) },
      ],
    };
    await assert.rejects(
      executeBootImage({ kind: 'boot-image', image, decision: 'install', basis: 'criteria' }, ctx(e, journal)),
      { code: 'SZTP_ERR_DOWNLOAD_FAILED' },
    );
    const req = e.downloads[0];
    assert.deepEqual(req?.uris, ['https://a/i', 'file:///disk2:/i']);
    assert.deepEqual(
      req.expected.map((x) => x.algorithm),
      ['sha-512'],
    );
    assert.equal(req.maxBytes, 12345);
    assert.equal(req.destDir, join(e.dir, 'state', 'images'));
  });
});
