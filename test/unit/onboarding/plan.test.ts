import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  carriedBootImage,
  decideBootImage,
  digestAlgorithm,
  imageSatisfied,
  planOnboarding,
  supportedVerifiers,
} from '../../../src/onboarding/plan.ts';
import type { StepExecutors, StepResult } from '../../../src/onboarding/step-context.ts';
import type { OnboardingJournal } from '../../../src/state/types.ts';
import type { BootImage, RunningIdentity, OnboardingInformation } from '../../../src/types.ts';

const running: RunningIdentity = { hwModel: 'm', osName: 'OS', osVersion: '1' };
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const image = (o: Partial<BootImage> = {}): BootImage => ({
  downloadUris: ['https://x/i'],
  imageVerification: [],
  ...o,
});
const full: OnboardingInformation = {
  bootImage: image({ osName: 'OS', osVersion: '2' }),
  preConfigurationScript: b('pre'),
  configurationHandling: 'merge',
  configuration: b('cfg'),
  postConfigurationScript: b('post'),
};
const journal = (o: Partial<OnboardingJournal> = {}): OnboardingJournal => ({
  digest: 'd',
  source: 's',
  startedAt: '',
  completedSteps: [],
  ...o,
});

describe('planOnboarding', () => {
  test('RFC order, each step only if present', () => {
    assert.deepEqual(
      planOnboarding(full, undefined, running).map((s) => s.kind),
      ['boot-image', 'pre-script', 'config', 'post-script'],
    );
    assert.deepEqual(
      planOnboarding({ postConfigurationScript: b('p') }, undefined, running).map((s) => s.kind),
      ['post-script'],
    );
    assert.deepEqual(planOnboarding({}, undefined, running), []);
  });

  test('completed steps of the journal are left out', () => {
    const steps = planOnboarding(full, journal({ completedSteps: ['boot-image', 'pre-script'] }), running);
    assert.deepEqual(
      steps.map((s) => s.kind),
      ['config', 'post-script'],
    );
  });

  test('configuration and configuration-handling must come together', () => {
    for (const info of [{ configuration: b('x') }, { configurationHandling: 'merge' as const }]) {
      assert.throws(() => planOnboarding(info, undefined, running), { code: 'SZTP_ERR_CONVEYED_SCHEMA' });
    }
  });

  test('the config step carries the handling mode', () => {
    const [step] = planOnboarding({ configurationHandling: 'replace', configuration: b('c') }, undefined, running);
    assert.ok(step?.kind === 'config');
    assert.equal(step.mode, 'replace');
  });
});

describe('boot-image decision', () => {
  const cases: [Partial<BootImage>, boolean][] = [
    [{ osName: 'OS', osVersion: '1' }, true],
    [{ osName: 'OS' }, true],
    [{ osVersion: '1' }, true],
    [{}, true],
    [{ osName: 'OS', osVersion: '2' }, false],
    [{ osName: 'Other', osVersion: '1' }, false],
    [{ osVersion: '1.0' }, false],
  ];
  for (const [criteria, ok] of cases) {
    test(`${JSON.stringify(criteria)} vs OS 1 → ${ok ? 'satisfied' : 'mismatch'}`, () => {
      assert.equal(imageSatisfied(image(criteria), running), ok);
    });
  }

  test('mismatch after an install for this data is a reboot loop', () => {
    const img = image({ osVersion: '2' });
    assert.deepEqual(decideBootImage(img, running, undefined), { decision: 'install', basis: 'criteria' });
    assert.equal(
      decideBootImage(img, running, journal({ bootImage: { sha256: 'x', installAttempts: 0 } })).decision,
      'install',
    );
    assert.equal(
      decideBootImage(img, running, journal({ bootImage: { sha256: 'x', installAttempts: 1, rebootRequestedAt: 't' } }))
        .decision,
      'reboot-loop',
    );
    assert.deepEqual(
      decideBootImage(
        img,
        { ...running, osVersion: '2' },
        journal({ bootImage: { sha256: 'x', installAttempts: 1, rebootRequestedAt: 't' } }),
      ),
      { decision: 'skip', basis: 'criteria' },
    );
  });

  test('no os-name/os-version (SZTPD): the running image digest decides; without one, installed-and-rebooted, else the policy', () => {
    const offered = new Uint8Array(32).fill(0xab);
    const img = image({
      imageVerification: [{ hashAlgorithm: 'ietf-sztp-conveyed-info:sha-256', hashValue: offered }],
    });
    const same = { algorithm: 'sha-256', hex: 'AB'.repeat(32) } as const;
    const other = { algorithm: 'sha-256', hex: 'cd'.repeat(32) } as const;
    const rebooted = journal({ bootImage: { sha256: 'ab'.repeat(32), installAttempts: 1, rebootRequestedAt: 't' } });
    assert.deepEqual(decideBootImage(img, running, undefined, same), { decision: 'skip', basis: 'hash' });
    assert.deepEqual(decideBootImage(img, running, undefined, other), { decision: 'install', basis: 'hash' });
    assert.deepEqual(decideBootImage(img, running, rebooted, other), { decision: 'reboot-loop', basis: 'hash' });
    assert.deepEqual(decideBootImage(img, running, rebooted, same), { decision: 'skip', basis: 'hash' });
    assert.deepEqual(
      decideBootImage(img, running, undefined, { algorithm: 'sha-512', hex: 'ab'.repeat(64) }),
      { decision: 'install', basis: 'hash' },
      'a digest in an algorithm not offered matches nothing',
    );
    assert.deepEqual(decideBootImage(img, running, undefined, { algorithm: 'sha-256', hex: undefined }), {
      decision: 'install',
      basis: 'policy',
    });
    assert.deepEqual(decideBootImage(img, running, undefined, undefined, 'skip'), {
      decision: 'skip',
      basis: 'policy',
    });
    assert.deepEqual(decideBootImage(img, running, rebooted, undefined, 'install'), {
      decision: 'skip',
      basis: 'installed',
    });
    assert.equal(digestAlgorithm(img), 'sha-256');
    assert.equal(
      digestAlgorithm(image({ imageVerification: [{ hashAlgorithm: 'sha-512', hashValue: new Uint8Array(64) }] })),
      'sha-512',
    );
  });
});

describe('supportedVerifiers', () => {
  test('sha-256 and sha-512 (prefixed or not, any case) with the right length; others dropped', () => {
    const v = supportedVerifiers(
      image({
        imageVerification: [
          { hashAlgorithm: 'ietf-sztp-conveyed-info:sha-256', hashValue: new Uint8Array(32) },
          { hashAlgorithm: 'SHA-512', hashValue: new Uint8Array(64) },
          { hashAlgorithm: 'sha-256', hashValue: new Uint8Array(31) },
          { hashAlgorithm: 'md5', hashValue: new Uint8Array(16) },
          { hashAlgorithm: 'x:sha-384', hashValue: new Uint8Array(48) },
        ],
      }),
    );
    assert.deepEqual(
      v.map((x) => x.algorithm),
      ['sha-256', 'sha-512'],
    );
  });
});

describe('executor map', () => {
  test('every step kind needs an executor (checked by tsc)', () => {
    const run = (): Promise<StepResult> => Promise.resolve('done');
    const complete: StepExecutors = { 'boot-image': run, 'pre-script': run, config: run, 'post-script': run };
    // @ts-expect-error: a map without the post-script executor does not compile
    const incomplete: StepExecutors = { 'boot-image': run, 'pre-script': run, config: run };
    assert.equal(Object.keys(complete).length, 4);
    assert.equal(Object.keys(incomplete).length, 3);
  });
});

describe('carriedBootImage (the loop guard across conveyed-information bytes)', () => {
  const sha = 'ab'.repeat(32);
  const rec = {
    sha256: sha,
    path: '/state/images/x.img',
    osName: 'OS',
    osVersion: '2',
    installAttempts: 1,
    rebootRequestedAt: 't',
  };
  const v256 = (hex: string) => ({
    hashAlgorithm: 'ietf-sztp-conveyed-info:sha-256',
    hashValue: new Uint8Array(Buffer.from(hex, 'hex')),
  });
  const v512 = { hashAlgorithm: 'sha-512', hashValue: new Uint8Array(64) };

  test('same sha-256: the install record is carried without the deleted file path', () => {
    const { path: _p, ...kept } = rec;
    assert.deepEqual(
      carriedBootImage(
        journal({ bootImage: rec }),
        image({ osName: 'OS', osVersion: '2', imageVerification: [v256(sha)] }),
      ),
      kept,
    );
  });
  test('another sha-256: a new image, nothing carried', () => {
    assert.equal(
      carriedBootImage(
        journal({ bootImage: rec }),
        image({ osName: 'OS', osVersion: '2', imageVerification: [v256('cd'.repeat(32))] }),
      ),
      undefined,
    );
  });
  test('no sha-256 offered: the same os criteria count as the same image', () => {
    assert.equal(
      carriedBootImage(journal({ bootImage: rec }), image({ osName: 'OS', osVersion: '2', imageVerification: [v512] }))
        ?.installAttempts,
      1,
    );
    assert.equal(
      carriedBootImage(journal({ bootImage: rec }), image({ osName: 'OS', osVersion: '3', imageVerification: [v512] })),
      undefined,
    );
  });
  test('no install that asked for a reboot, no image step, or no journal: nothing carried', () => {
    const img = image({ osName: 'OS', osVersion: '2', imageVerification: [v256(sha)] });
    assert.equal(carriedBootImage(journal({ bootImage: { sha256: sha, installAttempts: 0 } }), img), undefined);
    assert.equal(carriedBootImage(journal({ bootImage: { sha256: sha, installAttempts: 1 } }), img), undefined);
    assert.equal(carriedBootImage(journal({ bootImage: rec }), undefined), undefined);
    assert.equal(carriedBootImage(undefined, img), undefined);
  });
});
