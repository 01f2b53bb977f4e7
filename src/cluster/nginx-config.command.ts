import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { nginxConfig, nginxOptionsFrom } from './nginx-config.js';

/** `blueprint nginx-config`: the configuration's pool and policies as an nginx.conf. */
export function nginxConfigCommand(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, port: { type: 'string' }, static: { type: 'string' }, user: { type: 'string' } } });
  const config = loadConfig();
  const port = values.port === undefined ? config.PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('--port must be 1..65535\n');
    return 2;
  }
  const text = nginxConfig(
    nginxOptionsFrom(config, {
      listenPort: port,
      ...(values.static === undefined ? {} : { staticDir: resolve(values.static) }),
      ...(values.user === undefined ? {} : { user: values.user }),
    }),
  );
  if (values.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  const file = resolve(values.out);
  mkdirSync(join(dirname(file), 'tmp'), { recursive: true });
  writeFileSync(file, text);
  process.stderr.write(`wrote ${file}\nrun: nginx -p ${dirname(file)} -c ${file} -g 'daemon off;'\n`);
  return 0;
}
