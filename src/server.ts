import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/index.js';
import { startProcess } from './process.js';

/**
 * Entry point: load the configuration, start the roles it names (or `--role gateway,api,worker`),
 * listen, and shut down gracefully on a signal.
 */
async function main(argv: string[]): Promise<void> {
  let config;
  try {
    const { values } = parseArgs({ args: argv, options: { role: { type: 'string', multiple: true } } });
    config = loadConfig(process.env, values.role === undefined ? {} : { ROLES: values.role.join(',') });
  } catch (error) {
    if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const proc = await startProcess(config);
  const { logger } = proc;
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    proc.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  const [main, ...others] = proc.listeners;
  for (const l of others) logger.info({ role: l.role, address: l.address }, `${l.role} listening`);
  logger.info({ address: main!.address, roles: [...config.roles], publicUrl: config.PUBLIC_URL }, 'listening');
}

await main(process.argv.slice(2));
