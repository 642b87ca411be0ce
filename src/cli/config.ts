/**
 * `sztp-agent config [--json]`: prints the effective configuration (ztp.ini syntax, or JSON with
 * `fetchers`, the enabled fetchers in the order they are tried). A broken file exits 2 and lists
 * every problem as `ztp.ini:5: … (CODE)`. Warns on stderr when the IDevID chains to a voucher trust
 * anchor and `voucher_signers` is not set (exit 2 instead with `strict_voucher_signer`).
 * @module
 */
import { Command } from 'commander';
import { renderEffective } from '../config/render.ts';
import { EXIT, loadGlobalConfig, type CliContext } from './context.ts';

export function configCommand(ctx: CliContext): Command {
  return new Command('config')
    .description('print the effective configuration (exit 2 listing every problem when ztp.ini is broken)')
    .option('--json', 'print JSON (includes `fetchers`, the enabled fetchers in order)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const config = await loadGlobalConfig(cmd);
      // The voucher-signer check parses certificates (pkijs): load it only when there is an
      // IDevID and a voucher trust anchor to judge, so that a plain `config` stays light.
      const signers =
        config.device.idevidCert === undefined || config.device.voucherTrustAnchors === undefined
          ? { warning: undefined, refusal: undefined }
          : await (await import('../daemon/voucher-signer-check.ts')).assessVoucherSigners(config);
      if (signers.refusal !== undefined) {
        ctx.io.stderr(`error ${signers.refusal.code}: ${signers.refusal.message}\n`);
        ctx.exit(EXIT.usage);
        return;
      }
      ctx.io.stdout(opts.json === true ? `${JSON.stringify(config, null, 2)}\n` : renderEffective(config));
      if (signers.warning !== undefined)
        ctx.io.stderr(`WARNING SZTP_ERR_VOUCHER_SIGNER_UNPINNED: ${signers.warning}\n`);
      ctx.exit(EXIT.ok);
    });
}
