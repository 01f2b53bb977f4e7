import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { nginxSite, systemdUnit } from './deploy-examples.js';
import { formatDoctorReport, runDoctor } from './doctor.js';

/** `blueprint doctor [--json] [--quiet]`: exit 1 when something must be fixed before starting. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, quiet: { type: 'boolean' } } });
  const checks = await runDoctor();
  const failed = checks.some((c) => c.status === 'fail');
  if (values.json === true) process.stdout.write(`${JSON.stringify({ ok: !failed, checks })}\n`);
  else if (values.quiet !== true || failed) process.stdout.write(formatDoctorReport(values.quiet === true ? checks.filter((c) => c.status !== 'ok') : checks));
  return failed ? 1 : 0;
}

function output(text: string, out: string | undefined, next: string): number {
  if (out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  const file = resolve(out);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  process.stderr.write(`wrote ${file}\n${next}\n`);
  return 0;
}

/** `blueprint systemd-unit [--out FILE] [--user NAME] [--dir DIR] [--env-file FILE]`. */
export function systemdUnitCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, user: { type: 'string' }, dir: { type: 'string' }, 'env-file': { type: 'string' } } });
  const text = systemdUnit(loadConfig(), {
    workingDirectory: resolve(values.dir ?? process.cwd()),
    node: process.execPath,
    user: values.user ?? 'blueprint',
    environmentFile: values['env-file'] ?? '/etc/blueprint/blueprint.env',
  });
  return output(text, values.out, 'install: sudo cp it to /etc/systemd/system/ && sudo systemctl daemon-reload && sudo systemctl enable --now blueprint');
}

/** `blueprint nginx-site [--out FILE] [--cert FILE] [--key FILE]`. */
export function nginxSiteCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } } });
  const text = nginxSite(loadConfig(), { ...(values.cert === undefined ? {} : { certificate: values.cert }), ...(values.key === undefined ? {} : { certificateKey: values.key }) });
  return output(text, values.out, 'install: sudo cp it to /etc/nginx/sites-available/, link it from sites-enabled/, sudo nginx -t && sudo systemctl reload nginx');
}
