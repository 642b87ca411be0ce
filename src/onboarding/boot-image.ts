/**
 * The boot-image step (RFC 8572 §5.6 step 3, C-118..C-124, T-22, T-23): skip when the running
 * os-name/os-version satisfy the criteria; otherwise download from the `download-uri` mirrors in
 * order (file:// resolved on the stick by the source), verify against a supported
 * image-verification entry, install through the adapter, persist the attempt, report
 * `boot-image-installed-rebooting` and reboot. A verified image kept in the journal is reused
 * (re-hashed first), never downloaded twice. After the reboot the same conveyed information
 * resumes here: a match completes the step; a mismatch after an install is SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP.
 * A boot image without os-name/os-version (SZTPD) is decided by the running image's digest, or by
 * `[Onboarding] image_without_criteria` when the adapter cannot report one; the basis is always in
 * the progress message and the log, never a silent skip.
 * A reboot that fails is SZTP_ERR_BOOT_IMAGE_REBOOT (`boot-image-error`), never a loop: the reboot
 * request is forgotten, so the next attempt installs the kept image again and retries the reboot.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { SztpError, isSztpError } from '../errors.ts';
import { hashFile } from '../lib/hash.ts';
import { stateLayout } from '../lib/state-layout.ts';
import type { OnboardingJournal } from '../state/types.ts';
import { supportedVerifiers, type OnboardingStep } from './plan.ts';
import type { StepContext, StepResult } from './step-context.ts';
import { messageOf } from '../lib/error-info.ts';

type BootImageStep = Extract<OnboardingStep, { kind: 'boot-image' }>;

/** Streaming SHA-256 of a file as hex (constant memory); undefined when the file cannot be read. */
export async function sha256File(path: string): Promise<string | undefined> {
  return hashFile(path).then(
    (d) => d.toString('hex'),
    () => undefined,
  );
}

function describe(name: string | undefined, version: string | undefined): string {
  return `${name ?? '(any os-name)'} ${version ?? '(any os-version)'}`;
}

/** The verified image of an earlier run of this same conveyed information, if still intact. */
async function keptImage(journal: OnboardingJournal): Promise<{ path: string; sha256: string } | undefined> {
  const rec = journal.bootImage;
  if (rec?.path === undefined) return undefined;
  const actual = await sha256File(rec.path);
  if (actual === rec.sha256) return { path: rec.path, sha256: rec.sha256 };
  await rm(rec.path, { force: true });
  return undefined;
}

/** What the running image is, in the terms the decision used. */
function runningText(step: BootImageStep, running: { osName: string; osVersion: string }): string {
  const d = step.runningDigest;
  return step.basis === 'hash' && d?.hex !== undefined
    ? `an image with ${d.algorithm} ${d.hex}`
    : describe(running.osName, running.osVersion);
}

/** The skip message per basis (progress `boot-image-complete`). */
function skipText(step: BootImageStep, wanted: string, after: string): string {
  switch (step.basis) {
    case 'criteria':
      return `running image satisfies ${wanted}${after}; nothing to install`;
    case 'hash':
      return `boot image has no os-name/os-version; the running image's ${step.runningDigest?.algorithm ?? ''} equals the offered image-verification${after}; nothing to install`;
    case 'installed':
      return 'boot image has no os-name/os-version and the adapter cannot report the running image hash; it was installed and rebooted into, so it is taken as running';
    case 'policy':
      return 'boot image has no os-name/os-version and the adapter cannot report the running image hash: not installed ([Onboarding] image_without_criteria = skip)';
  }
}

export async function executeBootImage(step: BootImageStep, ctx: StepContext): Promise<StepResult> {
  const { deps, progress, journal, source } = ctx;
  const { image } = step;
  const noCriteria = step.basis !== 'criteria';
  const wanted = noCriteria
    ? `the image of the offered hash (no os-name/os-version; decided by ${step.basis})`
    : describe(image.osName, image.osVersion);
  await progress.emit('boot-image-initiated', `boot image criteria: ${wanted}`);
  if (step.decision === 'skip') {
    const after = journal.bootImage?.rebootRequestedAt !== undefined ? ' after the reboot' : '';
    const message = skipText(step, wanted, after);
    if (step.basis === 'policy' || step.basis === 'installed') deps.log.warn({ basis: step.basis }, message);
    else deps.log.info({ basis: step.basis }, message);
    await progress.emit('boot-image-complete', message);
    return 'done';
  }
  const running = await deps.adapter.identity();
  if (step.decision === 'reboot-loop') {
    throw new SztpError(
      'SZTP_ERR_BOOT_IMAGE_REBOOT_LOOP',
      `installed the boot image and rebooted, but the device runs ${runningText(step, running)}, not ${wanted}; not installing again`,
      {
        evidence: {
          running,
          installAttempts: journal.bootImage?.installAttempts,
          ...(step.runningDigest === undefined ? {} : { runningDigest: step.runningDigest }),
        },
      },
    );
  }
  if (step.basis === 'policy') {
    deps.log.warn(
      'boot image has no os-name/os-version and the adapter cannot report the running image hash: installing it ([Onboarding] image_without_criteria = install)',
    );
  }
  await progress.emit(
    'boot-image-mismatch',
    step.basis === 'policy'
      ? 'boot image has no os-name/os-version and the running image hash is unknown: installing it once ([Onboarding] image_without_criteria = install)'
      : `running ${runningText(step, running)}, wanted ${wanted}`,
  );
  const expected = supportedVerifiers(image);
  if (expected.length === 0) {
    const offered = image.imageVerification.map((v) => v.hashAlgorithm).join(', ') || 'none';
    throw new SztpError(
      'SZTP_ERR_BOOT_IMAGE_NO_VERIFIER',
      `no supported image-verification entry (offered: ${offered}; supported: sha-256, sha-512)`,
    );
  }
  let verified = await keptImage(journal);
  if (verified === undefined) {
    const destDir = stateLayout(deps.config.agent.stateDir).imagesDir;
    await mkdir(destDir, { recursive: true, mode: 0o700 });
    const result = await deps.download({
      uris: image.downloadUris,
      expected,
      destDir,
      maxBytes: deps.config.onboarding.maxImageBytes,
      signal: deps.signal,
      log: deps.log,
      ...(source.resolveLocalUri === undefined ? {} : { resolveLocalUri: source.resolveLocalUri }),
    });
    verified = { path: result.path, sha256: result.sha256 };
    deps.log.info(
      { uri: result.uri, bytes: result.bytes, sha256: result.sha256 },
      'boot image downloaded and verified',
    );
  }
  const attempts = journal.bootImage?.sha256 === verified.sha256 ? journal.bootImage.installAttempts : 0;
  const record = {
    sha256: verified.sha256,
    path: verified.path,
    installAttempts: attempts,
    ...(image.osName === undefined ? {} : { osName: image.osName }),
    ...(image.osVersion === undefined ? {} : { osVersion: image.osVersion }),
  };
  await ctx.updateJournal((j) => ({ ...j, bootImage: record }));
  try {
    await deps.adapter.installBootImage({
      path: verified.path,
      sha256: verified.sha256,
      ...(image.osName === undefined ? {} : { osName: image.osName }),
      ...(image.osVersion === undefined ? {} : { osVersion: image.osVersion }),
    });
  } catch (err) {
    throw isSztpError(err)
      ? err
      : new SztpError('SZTP_ERR_BOOT_IMAGE_INSTALL', `install failed: ${messageOf(err)}`, { cause: err });
  }
  // Persist the attempt before rebooting: a restart that still mismatches is a loop, not a retry (T-22).
  const requestedAt = deps.now().toISOString();
  await ctx.updateJournal((j) => ({
    ...j,
    bootImage: { ...record, installAttempts: attempts + 1, rebootRequestedAt: requestedAt },
  }));
  await deps.store.update((s) => ({ ...s, phase: 'rebooting' }));
  await progress.emit('boot-image-installed-rebooting', `installed ${wanted} (sha-256 ${verified.sha256}); rebooting`);
  try {
    await deps.adapter.reboot();
  } catch (err) {
    // The reboot did not happen, so this is no reboot loop: forget the reboot request (the install
    // record and the kept image stay) so the next attempt installs again and retries the reboot.
    // The staged image stays staged: the adapter API cannot un-stage it, and booting it later (a
    // power cycle) is what the owner asked for; the next run's identity check then skips the step.
    await ctx.updateJournal((j) => ({ ...j, bootImage: { ...record, installAttempts: attempts + 1 } }));
    await deps.store.update((s) => ({ ...s, phase: 'in-progress' }));
    const cause = isSztpError(err) ? `${err.code}: ${err.message}` : String(err);
    throw new SztpError(
      'SZTP_ERR_BOOT_IMAGE_REBOOT',
      `installed ${wanted} but the reboot failed (${cause}); the next attempt installs and reboots again`,
      { cause: err },
    );
  }
  return 'reboot';
}
