import { SERVICES, serviceAnswers, servicesIgnored, servicesRequired, type ServiceName } from '../helpers/services.js';

/** Says, once per run, which production-adapter suites will be skipped and why. */
export default async function setup(): Promise<void> {
  if (servicesIgnored) {
    process.stdout.write('\nBLUEPRINT_SERVICES=none: the embedded suites only; those of PostgreSQL, Redis and RabbitMQ are skipped.\n\n');
    return;
  }
  const missing: ServiceName[] = [];
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    if (!(await serviceAnswers(name))) missing.push(name);
  }
  if (missing.length === 0) return;
  const list = missing.map((n) => `${n} (${SERVICES[n].replace(/\/\/[^@/]*@/, '//')})`).join(', ');
  if (servicesRequired) {
    process.stdout.write(`\nBLUEPRINT_REQUIRE_SERVICES=1 and these servers do not answer: ${list}. Their suites will fail.\n\n`);
  } else {
    process.stdout.write(`\nSkipping the suites of servers that do not answer: ${list}.\nThe embedded suites run in full; set BLUEPRINT_REQUIRE_SERVICES=1 to make missing servers fail the run.\n\n`);
  }
}
