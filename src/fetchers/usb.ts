/**
 * The USB fetcher (RFC 8572 §4.1 removable storage; the seed's "Provision Secure ZTP Using USB"):
 * searches each `[USB] mount_points` directory (plus auto-mounted sticks when `auto_mount` is on)
 * for `EN9`, reads the artifacts (./usb-layout.ts) and validates them with no nonce. Removable
 * storage is untrusted; what is accepted from it is decided by `admit(info, 'removable-storage')`
 * (src/validation/admit.ts):
 * - signed onboarding information is returned (no progress reports: NULL_REPORTER);
 * - unsigned onboarding information is refused (SZTP_ERR_CONVEYED_UNSIGNED, C-021);
 * - signed redirect information is followed as trusted (its trust anchors are used), as RFC 8572
 *   §4.1/§5.5 allow;
 * - unsigned redirect information is refused (SZTP_ERR_CONVEYED_REDIRECT_NOT_ALLOWED): anyone can
 *   plug in a stick, and the seed requires the stick's data to be signed.
 * `file://` download URIs resolve only inside the stick that supplied the data. When onboarding
 * from one stick fails, the next mount point is tried before the next fetcher (RFC 8572 §5.6,
 * C-114; the returned source's `next`).
 * @module
 */
import type { Logger } from 'pino';
import { SztpError, toSztpError } from '../errors.ts';
import { NULL_REPORTER } from '../progress/reporter.ts';
import type { FetchContext, Fetcher, OnboardingSource } from '../contracts/fetch.ts';
import { firstOf, sourcesFrom } from '../lib/source-sequence.ts';
import { admit } from '../validation/admit.ts';
import { locateBundle, readBundle, resolveOnStick, type UsbBundleLocation } from './usb-layout.ts';
import { discoverRemovable, execRunner, mountRemovable, type CommandRunner, type MountedSticks } from './usb-mount.ts';
import { procUptime, realSleep, settleRemovable } from './usb-settle.ts';

export interface UsbFetcherOptions {
  /** Root of sysfs for auto-mount discovery (tests pass a fake tree). Default `/sys`. */
  readonly sysRoot?: string;
  /** Where device nodes live. Default `/dev`. */
  readonly devRoot?: string;
  /** Runs mount/umount. Default: execFile. */
  readonly run?: CommandRunner;
  /** Parent of the private mount directory. Default: the OS temp directory. */
  readonly mountBase?: string;
  /** Seconds since boot, for `[USB] settle_seconds`. Default: /proc/uptime. */
  readonly uptimeSeconds?: () => Promise<number | undefined>;
}

/** The sources of one EN9 bundle: its signed onboarding information, or the sources of its signed redirect. */
async function* bundleSources(
  loc: UsbBundleLocation,
  ctx: FetchContext,
  release: () => Promise<void>,
): AsyncGenerator<OnboardingSource, void, undefined> {
  const description = `usb:${loc.dir}`;
  const artifacts = await readBundle(loc, ctx.signal);
  const info = await ctx.validate(artifacts, ctx.trustContext(undefined));
  const admission = admit(info, 'removable-storage');
  if (admission.kind === 'refuse') throw new SztpError(admission.code, `${description}: ${admission.reason}`);
  if (info.kind === 'redirect-information') {
    ctx.log.info(
      { source: description, servers: info.redirect.bootstrapServers.length },
      'signed redirect information on the stick: following it',
    );
    const keepTrustAnchors = admission.kind === 'follow' && admission.keepTrustAnchors;
    for await (const s of sourcesFrom(
      await ctx.bootstrap.followRedirect(info.redirect, keepTrustAnchors, ctx, { fetcher: 'USB', description }),
    ))
      yield { ...s, release };
    return;
  }
  yield {
    fetcher: 'USB',
    description,
    info,
    reporter: NULL_REPORTER,
    trustedServer: false,
    resolveLocalUri: (uri) => resolveOnStick(loc.root, uri),
    release,
  };
}

async function autoMount(
  ctx: FetchContext,
  options: UsbFetcherOptions,
  log: Logger,
): Promise<MountedSticks | undefined> {
  if (!ctx.config.usb.autoMount) return undefined;
  const devices = await settleRemovable(
    ctx.config.usb.settleSeconds,
    {
      uptimeSeconds: options.uptimeSeconds ?? (() => procUptime()),
      discover: () => discoverRemovable(options.sysRoot, options.devRoot),
      sleep: realSleep,
      now: Date.now,
    },
    ctx.signal,
    log,
  );
  log.debug({ devices }, 'removable block devices');
  return mountRemovable(devices, options.run ?? execRunner, log, options.mountBase);
}

/** Creates the USB fetcher. */
export function createUsbFetcher(options: UsbFetcherOptions = {}): Fetcher {
  /**
   * Every mount point in order (RFC 8572 §5.6, C-114: after a failed onboarding from one stick the
   * next one is tried). Each yielded source carries the release of the auto-mounted sticks; when
   * the sequence ends the sticks are released here.
   */
  async function* candidates(ctx: FetchContext): AsyncGenerator<OnboardingSource, void, undefined> {
    const log = ctx.log.child({ fetcher: 'USB' });
    const mounted = await autoMount(ctx, options, log);
    const release = mounted === undefined ? () => Promise.resolve() : () => mounted.release();
    const mountPoints = [...ctx.config.usb.mountPoints, ...(mounted?.mountPoints ?? [])];
    let firstError: SztpError | undefined;
    let found = false;
    let handedOut = false;
    try {
      for (const mountPoint of mountPoints) {
        if (ctx.signal.aborted) throw new SztpError('SZTP_ERR_ABORTED', 'stopped while reading removable storage');
        try {
          const loc = await locateBundle(mountPoint, ctx.identity.serialNumber);
          if (loc === undefined) {
            log.debug({ mountPoint }, 'no EN9 directory');
            continue;
          }
          log.info({ dir: loc.dir, layout: loc.layout }, 'EN9 bootstrapping data found');
          found = true;
          for await (const s of bundleSources(loc, ctx, release)) {
            handedOut = true;
            yield s;
            handedOut = false;
            log.info({ dir: loc.dir }, 'onboarding from this stick did not complete; trying the next mount point');
          }
        } catch (err) {
          const coded = toSztpError(err, 'SZTP_ERR_USB_UNSAFE_PATH');
          if (coded.code === 'SZTP_ERR_ABORTED') throw coded;
          log.warn({ mountPoint, code: coded.code, err: coded }, 'removable storage refused');
          firstError ??= coded;
        }
      }
    } finally {
      // Not while a yielded source is in use: the daemon releases the source it stops at.
      if (!handedOut) await release();
    }
    if (firstError !== undefined) throw firstError;
    if (found) throw new SztpError('SZTP_ERR_USB_NOT_FOUND', `no further EN9 directory on ${mountPoints.join(', ')}`);
    throw new SztpError(
      'SZTP_ERR_USB_NOT_FOUND',
      `no EN9 directory on ${mountPoints.length === 0 ? 'any mount point (none configured)' : mountPoints.join(', ')}`,
    );
  }

  return {
    name: 'USB',
    async fetch(ctx: FetchContext): Promise<OnboardingSource> {
      return firstOf(candidates(ctx), 'USB');
    },
  };
}
